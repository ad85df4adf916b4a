// The message log: the raw bytes of accepted messages in append-only segment files of the
// hub's own (`<data dir>/message-log/000001.msg`, ...), so that RocksDB stores only each
// message's small record and keys, and its write-ahead log, memtables and flushes no longer
// carry the messages themselves (docs/architecture.md, "The message log").
//
// A segment is a 16-byte header (magic "diphubML", version, segment number), zeros to 4 KiB,
// and then the group commits' writes, each a run of records padded with zeros to a multiple of
// 4 KiB:
//   size (u32 little-endian) | XXH3-64 of the payload seeded by its position (u64 LE) | payload
// The seed (segment << 40 ^ offset) makes a record read at the wrong place fail its check like
// a torn one. Writes are whole aligned blocks so that they can bypass the page cache (O_DIRECT:
// no kernel copy of the messages' bytes; where the file system refuses it, tmpfs for one, they
// are buffered). Padding starts inside a block, after a record, and runs to the block's end; a
// record starts right after another or at a block boundary. A segment is fdatasync'd and the
// directory fsync'd before the next one gets its first record, so after a power loss only the
// last segment can end torn; Open() scans it and cuts it after its last whole record.
//
// Thread-safety: Append() calls must not overlap (the group commit's write slot orders them;
// a mutex makes overlapping calls safe but unordered). Sync(), Read(), DiskBytes() are safe
// from any thread, concurrently with Append().
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dip/status.h"
#include "storage/records.h"  // LogPosition

namespace diphub::storage {

struct MessageLogOptions {
  // A segment is closed once it holds this much; a batch bigger than this gets one of its own.
  std::uint64_t segment_bytes = 64u << 20;  // Default: 64 MiB
  // False: Sync() and the roll to a new segment do not fsync (tests, a store that is a view).
  bool fsync = true;
};

class MessageLog {
 public:
  // Opens (creating) the log in directory `dir`. The last segment is scanned and cut after its
  // last whole record; `*cut_bytes` (may be null) tells how many bytes were cut.
  static dip::Result<std::unique_ptr<MessageLog>> Open(const std::string& dir,
                                                       MessageLogOptions options,
                                                       std::uint64_t* cut_bytes = nullptr);
  ~MessageLog();
  MessageLog(const MessageLog&) = delete;
  MessageLog& operator=(const MessageLog&) = delete;

  struct Appended {
    std::shared_ptr<const void> owner;       // the block-aligned buffer written
    std::size_t bytes = 0;                   // its size
    std::vector<LogPosition> positions;      // one per payload, in order
    std::vector<std::string_view> payloads;  // the payloads as written, in owner's buffer
  };
  // Frames `payloads` and writes them at the end of the log with one write, in a new segment
  // when the current one is full. Not durable until Sync(). On a failed write (a full disk)
  // the segment is cut back to where it was, so the log stays whole.
  dip::Result<Appended> Append(std::span<const std::string_view> payloads);

  // Makes every Append() that returned before this call began durable (fdatasync).
  dip::Status Sync();

  // Copies the payload at `p` to `dst` (p.size bytes), checked as ReadMany checks it (one read
  // per call: tests and tools; the store reads through ReadMany).
  dip::Status Read(const LogPosition& p, char* dst) const;
  // Reads the payloads at `positions` into `*buffer` (replaced) and views them in `*payloads`
  // (in the same order), checking each one's checksum. Records that lie together in a segment
  // (one after another, or with only a write's padding between) are read with one pread: the
  // delivery of a backlog reads a run of a write's records at once, not one call per message.
  dip::Status ReadMany(std::span<const LogPosition> positions, std::string* buffer,
                       std::vector<std::string_view>* payloads) const;

  // Where the next record will go: the current segment and its size (a multiple of kBlock).
  LogPosition End() const;

  // Cuts the current segment back to `offset` (the end of the last record a stored message
  // refers to: records after it belong to no message), zeros to the block's end. Only before
  // the first Append().
  dip::Status TruncateCurrent(std::uint64_t offset);

  // Deletes the segments numbered below `segment` (never the current one). Returns how many.
  dip::Result<std::uint32_t> DropSegmentsBefore(std::uint32_t segment);

  // Bytes of every segment file together.
  std::uint64_t DiskBytes() const;

  static constexpr std::uint64_t kHeaderBytes = 16;
  static constexpr std::uint64_t kBlock = 4096;     // writes' alignment; the first record's block
  static constexpr std::uint64_t kFrameBytes = 12;  // size and checksum before each payload

  // Whether the current segment is written with O_DIRECT (false where the file system refuses).
  bool direct() const;

 private:
  struct Segment;
  MessageLog(std::string dir, MessageLogOptions options);
  dip::Status OpenSegments(std::uint64_t* cut_bytes);
  // Closes the current segment (synced) and starts the next one. REQUIRES: mu_ held.
  dip::Status Roll();
  // Creates segment `number`: header, zeros to kBlock, the write descriptor. REQUIRES: mu_ held.
  dip::Result<std::shared_ptr<Segment>> Create(std::uint32_t number);
  // Cuts the current segment at `offset` and zero-fills it to the next block boundary, which
  // becomes end_. REQUIRES: mu_ held.
  dip::Status CutAt(std::uint64_t offset);
  std::shared_ptr<Segment> FindSegment(std::uint32_t number) const;

  const std::string dir_;
  const MessageLogOptions options_;
  int dir_fd_ = -1;

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Segment>> segments_;  // ascending; the last is current. mu_
  std::uint64_t end_ = 0;                           // current segment's size; guarded by mu_
  std::uint64_t sealed_bytes_ = 0;                  // the others' sizes together; mu_

  std::mutex sync_mu_;  // one Sync() at a time
};

// The checksum of a payload stored at (segment, offset).
std::uint64_t MessageLogChecksum(std::uint32_t segment, std::uint64_t offset,
                                 std::string_view payload);

}  // namespace diphub::storage
