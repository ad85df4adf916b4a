#include "storage/message_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace diphub::storage {

namespace {

constexpr char kMagic[8] = {'d', 'i', 'p', 'h', 'u', 'b', 'M', 'L'};
constexpr std::uint32_t kVersion = 1;

void PutLe32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void PutLe64(char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
std::uint32_t GetLe32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
std::uint64_t GetLe64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

dip::Status Errno(const std::string& what, int err) {
  std::string help = what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) help = "disk full: " + help;
  return dip::Status::Io(help);
}

std::string SegmentName(std::uint32_t number) {
  char name[32];
  std::snprintf(name, sizeof name, "%06u.msg", number);
  return name;
}

// The number of a segment file's name ("000012.msg" -> 12), or 0 for any other name.
std::uint32_t SegmentNumber(const char* name) {
  const std::size_t len = std::strlen(name);
  if (len < 5 || len > 14 || std::strcmp(name + len - 4, ".msg") != 0) return 0;
  std::uint64_t n = 0;
  for (std::size_t i = 0; i + 4 < len; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    n = n * 10 + static_cast<std::uint64_t>(name[i] - '0');
  }
  return n <= UINT32_MAX ? static_cast<std::uint32_t>(n) : 0;
}

dip::Status WriteAll(int fd, const char* data, std::size_t size, std::uint64_t offset,
                     const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write " + path, errno);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return dip::Status::Ok();
}

dip::Status ReadAll(int fd, char* data, std::size_t size, std::uint64_t offset,
                    const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::pread(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("read " + path, errno);
    }
    if (n == 0) return dip::Status::Io("read " + path + ": the file ends early");
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return dip::Status::Ok();
}

}  // namespace

std::uint64_t MessageLogChecksum(std::uint32_t segment, std::uint64_t offset,
                                 std::string_view payload) {
  return XXH3_64bits_withSeed(payload.data(), payload.size(),
                              (static_cast<std::uint64_t>(segment) << 40) ^ offset);
}

struct MessageLog::Segment {
  std::uint32_t number = 0;
  std::string path;
  int fd = -1;   // buffered: reads, the scan, truncation
  int wfd = -1;  // the current segment's writes: O_DIRECT where allowed, else a dup of fd
  bool direct = false;
  ~Segment() {
    if (wfd >= 0) ::close(wfd);
    if (fd >= 0) ::close(fd);
  }
  // Opens the write descriptor, with O_DIRECT unless the file system refuses it.
  dip::Status OpenForWrites() {
    wfd = ::open(path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
    direct = wfd >= 0;
    if (wfd < 0 && errno == EINVAL) wfd = ::dup(fd);
    if (wfd < 0) return Errno("open " + path + " for writing", errno);
    return dip::Status::Ok();
  }
};

namespace {

std::uint64_t RoundUp(std::uint64_t n, std::uint64_t to) { return (n + to - 1) / to * to; }

bool AllZero(const char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

// The end of the last whole record (or of the padding after it) of segment `number`, whose
// bytes from offset kHeaderBytes on are `data`: records follow one another, or padding (zeros
// from inside a block to its end) comes between them.
std::uint64_t ScanRecords(std::uint32_t number, std::string_view data) {
  constexpr std::uint64_t kBase = MessageLog::kHeaderBytes;
  std::size_t at = 0;
  std::uint64_t valid = kBase;
  while (data.size() - at >= MessageLog::kFrameBytes) {
    const std::uint64_t offset = kBase + at;
    const std::uint32_t n = GetLe32(data.data() + at);
    const std::uint64_t sum = GetLe64(data.data() + at + 4);
    if (n == 0 && sum == 0) {
      // Padding: only from inside a block, zeros to its end.
      const std::uint64_t boundary = RoundUp(offset, MessageLog::kBlock);
      if (offset == boundary || boundary - kBase > data.size() ||
          !AllZero(data.data() + at, boundary - offset)) {
        break;
      }
      at = boundary - kBase;
      valid = boundary;
      continue;
    }
    if (n > data.size() - at - MessageLog::kFrameBytes) break;
    const std::string_view payload(data.data() + at + MessageLog::kFrameBytes, n);
    if (sum != MessageLogChecksum(number, offset + MessageLog::kFrameBytes, payload)) break;
    at += MessageLog::kFrameBytes + n;
    valid = kBase + at;
  }
  return valid;
}

}  // namespace

MessageLog::MessageLog(std::string dir, MessageLogOptions options)
    : dir_(std::move(dir)), options_(options) {}

MessageLog::~MessageLog() {
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

dip::Result<std::unique_ptr<MessageLog>> MessageLog::Open(const std::string& dir,
                                                          MessageLogOptions options,
                                                          std::uint64_t* cut_bytes) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Errno("create the message log directory " + dir, errno);
  }
  std::unique_ptr<MessageLog> log(new MessageLog(dir, options));
  log->dir_fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (log->dir_fd_ < 0) return Errno("open the message log directory " + dir, errno);
  std::uint64_t cut = 0;
  if (dip::Status s = log->OpenSegments(&cut); !s.ok()) return s;
  if (cut_bytes != nullptr) *cut_bytes = cut;
  return log;
}

dip::Result<std::shared_ptr<MessageLog::Segment>> MessageLog::Create(std::uint32_t number) {
  auto seg = std::make_shared<Segment>();
  seg->number = number;
  seg->path = dir_ + "/" + SegmentName(number);
  seg->fd = ::open(seg->path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (seg->fd < 0) return Errno("create " + seg->path, errno);
  char header[kHeaderBytes];
  std::memcpy(header, kMagic, 8);
  PutLe32(header + 8, kVersion);
  PutLe32(header + 12, number);
  dip::Status s = WriteAll(seg->fd, header, kHeaderBytes, 0, seg->path);
  if (s.ok() && ::ftruncate(seg->fd, static_cast<off_t>(kBlock)) != 0) {
    s = Errno("extend " + seg->path, errno);
  }
  if (s.ok()) s = seg->OpenForWrites();
  // The header, and the new file's entry, durable before a record in it is acknowledged.
  if (s.ok() && options_.fsync && (::fdatasync(seg->fd) != 0 || ::fsync(dir_fd_) != 0)) {
    s = Errno("sync " + seg->path, errno);
  }
  if (!s.ok()) {
    ::unlink(seg->path.c_str());
    return s;
  }
  return seg;
}

dip::Status MessageLog::OpenSegments(std::uint64_t* cut_bytes) {
  std::vector<std::uint32_t> numbers;
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) return Errno("list " + dir_, errno);
  while (const dirent* e = ::readdir(d)) {
    if (std::uint32_t n = SegmentNumber(e->d_name); n != 0) numbers.push_back(n);
  }
  ::closedir(d);
  std::sort(numbers.begin(), numbers.end());
  std::lock_guard lock(mu_);
  if (numbers.empty()) {
    auto seg = Create(1);
    if (!seg.ok()) return seg.status();
    segments_.push_back(std::move(seg).value());
    end_ = kBlock;
    return dip::Status::Ok();
  }
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    const bool last = i + 1 == numbers.size();
    auto seg = std::make_shared<Segment>();
    seg->number = numbers[i];
    seg->path = dir_ + "/" + SegmentName(numbers[i]);
    seg->fd = ::open(seg->path.c_str(), (last ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (seg->fd < 0) return Errno("open " + seg->path, errno);
    struct stat st {};
    if (::fstat(seg->fd, &st) != 0) return Errno("stat " + seg->path, errno);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    char header[kHeaderBytes];
    const bool has_header = size >= kHeaderBytes &&
                            ReadAll(seg->fd, header, kHeaderBytes, 0, seg->path).ok() &&
                            !AllZero(header, kHeaderBytes);
    if (has_header && (std::memcmp(header, kMagic, 8) != 0 || GetLe32(header + 12) != numbers[i])) {
      return dip::Status::Io(seg->path + " is not a segment of a diphub message log");
    }
    if (has_header && GetLe32(header + 8) != kVersion) {
      return dip::Status::Io(seg->path + " is of message log version " +
                             std::to_string(GetLe32(header + 8)) + ", which this diphub does " +
                             "not know (it reads version " + std::to_string(kVersion) + ")");
    }
    if (!last) {
      if (!has_header) return dip::Status::Io(seg->path + " has no header");
      sealed_bytes_ += size;
      segments_.push_back(std::move(seg));
      continue;
    }
    if (!has_header) {
      // Created, then lost before its header was on disk: begin it again.
      seg.reset();
      auto again = Create(numbers[i]);
      if (!again.ok()) return again.status();
      segments_.push_back(std::move(again).value());
      end_ = kBlock;
      *cut_bytes = size;
      continue;
    }
    // The last segment: keep its whole records, cut whatever follows the last one.
    std::string data(size - kHeaderBytes, '\0');
    if (dip::Status s = ReadAll(seg->fd, data.data(), data.size(), kHeaderBytes, seg->path);
        !s.ok()) {
      return s;
    }
    const std::uint64_t valid = ScanRecords(numbers[i], data);
    if (dip::Status s = seg->OpenForWrites(); !s.ok()) return s;
    segments_.push_back(std::move(seg));
    end_ = size;
    if (valid < size) *cut_bytes = size - valid;
    if (valid < size || valid % kBlock != 0) {
      if (dip::Status s = CutAt(valid); !s.ok()) return s;
    }
  }
  return dip::Status::Ok();
}

dip::Status MessageLog::CutAt(std::uint64_t offset) {
  const Segment& seg = *segments_.back();
  const std::uint64_t aligned = std::max(RoundUp(offset, kBlock), kBlock);
  // Cut, then extend with zeros (a hole) to the block's end: the next write starts there.
  if (::ftruncate(seg.fd, static_cast<off_t>(offset)) != 0 ||
      ::ftruncate(seg.fd, static_cast<off_t>(aligned)) != 0) {
    return Errno("cut " + seg.path, errno);
  }
  if (options_.fsync && ::fdatasync(seg.fd) != 0) return Errno("sync " + seg.path, errno);
  end_ = aligned;
  return dip::Status::Ok();
}

dip::Status MessageLog::Roll() {
  Segment& old = *segments_.back();
  if (options_.fsync && ::fdatasync(old.fd) != 0) return Errno("sync " + old.path, errno);
  auto seg = Create(old.number + 1);
  if (!seg.ok()) return seg.status();
  // The old segment is only read from now on.
  ::close(old.wfd);
  old.wfd = -1;
  sealed_bytes_ += end_;
  end_ = kBlock;
  segments_.push_back(std::move(seg).value());
  return dip::Status::Ok();
}

dip::Result<MessageLog::Appended> MessageLog::Append(std::span<const std::string_view> payloads) {
  Appended out;
  if (payloads.empty()) return out;  // nothing to write (and no zero-sized buffer)
  std::size_t total = 0;
  for (std::string_view p : payloads) {
    if (p.size() > UINT32_MAX) return dip::Status::Io("a message over 4 GiB cannot be logged");
    total += kFrameBytes + p.size();
  }
  const std::size_t padded = RoundUp(total, kBlock);
  std::lock_guard lock(mu_);
  if (end_ > kBlock && end_ + padded > options_.segment_bytes) {
    if (dip::Status s = Roll(); !s.ok()) return s;
  }
  const Segment& seg = *segments_.back();
  // Block-aligned, as O_DIRECT needs; the payloads are copied into it once.
  std::shared_ptr<char> buffer(static_cast<char*>(std::aligned_alloc(kBlock, padded)), std::free);
  if (!buffer) return dip::Status::Io("out of memory for a message log write");
  out.positions.reserve(payloads.size());
  out.payloads.reserve(payloads.size());
  char* at = buffer.get();
  std::uint64_t offset = end_;
  for (std::string_view p : payloads) {
    const auto n = static_cast<std::uint32_t>(p.size());
    PutLe32(at, n);
    PutLe64(at + 4, MessageLogChecksum(seg.number, offset + kFrameBytes, p));
    std::memcpy(at + kFrameBytes, p.data(), p.size());
    out.positions.push_back({seg.number, offset + kFrameBytes, n});
    out.payloads.emplace_back(at + kFrameBytes, p.size());
    at += kFrameBytes + p.size();
    offset += kFrameBytes + p.size();
  }
  std::memset(at, 0, padded - total);  // padding
  if (dip::Status s = WriteAll(seg.wfd, buffer.get(), padded, end_, seg.path); !s.ok()) {
    // Part of the batch may be in the file: cut it off, so the next record follows whole ones.
    if (::ftruncate(seg.fd, static_cast<off_t>(end_)) != 0) {
      return Errno("cut a failed write from " + seg.path + " (after: " + s.help() + ")", errno);
    }
    return s;
  }
  end_ += padded;
  out.bytes = padded;
  out.owner = std::move(buffer);
  return out;
}

dip::Status MessageLog::Sync() {
  if (!options_.fsync) return dip::Status::Ok();
  std::lock_guard sync_lock(sync_mu_);
  std::shared_ptr<Segment> current;
  {
    std::lock_guard lock(mu_);
    current = segments_.back();  // earlier segments were synced when the log moved past them
  }
  if (::fdatasync(current->fd) != 0) return Errno("sync " + current->path, errno);
  return dip::Status::Ok();
}

std::shared_ptr<MessageLog::Segment> MessageLog::FindSegment(std::uint32_t number) const {
  std::lock_guard lock(mu_);
  auto it = std::lower_bound(
      segments_.begin(), segments_.end(), number,
      [](const std::shared_ptr<Segment>& s, std::uint32_t n) { return s->number < n; });
  if (it == segments_.end() || (*it)->number != number) return nullptr;
  return *it;
}

dip::Status MessageLog::Read(const LogPosition& p, char* dst) const {
  // A run of one: ReadMany's checks (segment, place, size, checksum) apply.
  std::string buffer;
  std::vector<std::string_view> payloads;
  if (dip::Status s = ReadMany(std::span<const LogPosition>(&p, 1), &buffer, &payloads); !s.ok()) {
    return s;
  }
  std::memcpy(dst, payloads.front().data(), p.size);
  return dip::Status::Ok();
}

dip::Status MessageLog::ReadMany(std::span<const LogPosition> positions, std::string* buffer,
                                 std::vector<std::string_view>* payloads) const {
  // Runs of positions read with one pread each: [first, end) of run k's frames.
  struct Run {
    std::size_t first, end;
    std::uint64_t from, to;  // byte range in the segment
  };
  constexpr std::uint64_t kMaxRun = 4u << 20;
  std::vector<Run> runs;
  std::size_t total = 0;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    const LogPosition& p = positions[i];
    if (p.offset < kBlock + kFrameBytes) {
      return dip::Status::Io("message log position " + std::to_string(p.offset) + " in " +
                             SegmentName(p.segment) + " is corrupt");
    }
    const std::uint64_t from = p.offset - kFrameBytes;
    if (!runs.empty()) {
      Run& r = runs.back();
      const LogPosition& prev = positions[i - 1];
      if (prev.segment == p.segment && from >= r.to && from - r.to < kBlock &&
          p.End() - r.from <= kMaxRun) {
        total += p.End() - r.to;
        r.to = p.End();
        r.end = i + 1;
        continue;
      }
    }
    runs.push_back({i, i + 1, from, p.End()});
    total += p.End() - from;
  }
  buffer->assign(total, '\0');
  payloads->assign(positions.size(), std::string_view());
  std::size_t at = 0;
  for (const Run& r : runs) {
    const LogPosition& first = positions[r.first];
    std::shared_ptr<Segment> seg = FindSegment(first.segment);
    if (!seg) {
      return dip::Status::Io("message log segment " + SegmentName(first.segment) +
                             " is missing from " + dir_);
    }
    char* base = buffer->data() + at;
    if (dip::Status s = ReadAll(seg->fd, base, r.to - r.from, r.from, seg->path); !s.ok()) {
      return s;
    }
    for (std::size_t i = r.first; i < r.end; ++i) {
      const LogPosition& p = positions[i];
      const char* frame = base + (p.offset - kFrameBytes - r.from);
      const std::string_view payload(frame + kFrameBytes, p.size);
      if (GetLe32(frame) != p.size ||
          GetLe64(frame + 4) != MessageLogChecksum(p.segment, p.offset, payload)) {
        return dip::Status::Io("the message at " + std::to_string(p.offset) + " in " + seg->path +
                               " is corrupt (size or checksum)");
      }
      (*payloads)[i] = payload;
    }
    at += r.to - r.from;
  }
  return dip::Status::Ok();
}

LogPosition MessageLog::End() const {
  std::lock_guard lock(mu_);
  return {segments_.back()->number, end_, 0};
}

dip::Status MessageLog::TruncateCurrent(std::uint64_t offset) {
  std::lock_guard lock(mu_);
  if (offset < kHeaderBytes || offset > end_) {
    return dip::Status::Io("cannot cut the message log back to " + std::to_string(offset));
  }
  if (offset == end_) return dip::Status::Ok();
  return CutAt(offset);
}

bool MessageLog::direct() const {
  std::lock_guard lock(mu_);
  return segments_.back()->direct;
}

dip::Result<std::uint32_t> MessageLog::DropSegmentsBefore(std::uint32_t segment) {
  std::vector<std::shared_ptr<Segment>> dropped;
  {
    std::lock_guard lock(mu_);
    while (segments_.size() > 1 && segments_.front()->number < segment) {
      dropped.push_back(segments_.front());
      segments_.erase(segments_.begin());
    }
  }
  for (const std::shared_ptr<Segment>& seg : dropped) {
    struct stat st {};
    const std::uint64_t size =
        ::fstat(seg->fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    if (::unlink(seg->path.c_str()) != 0 && errno != ENOENT) {
      return Errno("delete " + seg->path, errno);
    }
    std::lock_guard lock(mu_);
    sealed_bytes_ -= std::min(sealed_bytes_, size);
  }
  return static_cast<std::uint32_t>(dropped.size());
}

std::uint64_t MessageLog::DiskBytes() const {
  std::lock_guard lock(mu_);
  return sealed_bytes_ + end_;
}

}  // namespace diphub::storage
