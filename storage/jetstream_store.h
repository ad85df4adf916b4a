// storage.engine: jetstream — a Store whose write-ahead log is a JetStream stream (replicated
// by the NATS cluster) and whose local RocksDB is a view rebuilt from it.
//
// Every mutating call (Append, RecordOutcomes, Requeue, ClearDeadLetters, Expire,
// PutParticipantOverride, PutAppointments, PutMeta) waits for one writer thread, which merges
// the calls queued meanwhile into one log entry (jetstream_entry.h), publishes it with the
// stream's expected last sequence (fencing: if anyone else appended, nothing is stored), and
// only after the PubAck — sent once the replicas' quorum has the entry — applies it to the
// local view and returns. Reads go to the view. At open, the view applies every entry it has
// not applied yet (an empty data dir replays the whole stream).
//
// Thread-safety: every method is safe from any thread (as Store).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dip/status.h"
#include "storage/jetstream_options.h"
#include "storage/store.h"

namespace diphub::storage {

// Opens the view in `dir` (RocksDB without fsync; `store_options` otherwise as
// OpenRocksStore), connects to the stream (creating it if absent), and replays what the view
// lacks. Refuses a data dir that holds a storage.engine rocksdb store or the view of another
// stream, and a stream that no longer holds entries the view needs (aged out or purged).
dip::Result<std::unique_ptr<Store>> OpenJetStreamStore(const std::string& dir,
                                                       const StoreOptions& store_options,
                                                       const JetStreamOptions& options);

// A standby's view following the stream (docs/scaleout.md): each CatchUp brings the view in
// `dir` up to the stream's last entry as OpenJetStreamStore does, with the same checks, writing
// nothing to the stream. The view and the connection stay open between catch-ups (reopening a
// RocksDB replays its write-ahead log and flushes what it recovered, each time), so the data
// dir stays locked until Close() or destruction. A crash part way is as safe as one during the
// replay at open: each entry's mutations and the view's position are one write.
//
// Thread-safety: not thread-safe; one thread (the standby's follower) uses it.
class JetStreamViewFollower {
 public:
  JetStreamViewFollower(std::string dir, StoreOptions store_options, JetStreamOptions options);
  ~JetStreamViewFollower();
  JetStreamViewFollower(const JetStreamViewFollower&) = delete;
  JetStreamViewFollower& operator=(const JetStreamViewFollower&) = delete;

  // Opens the view and the stream if they are closed, and applies the entries the view lacks.
  // Returns how many it applied. On an error they are closed, so the next call checks the data
  // dir and the stream afresh (an operator may have put them right).
  dip::Result<std::uint64_t> CatchUp();
  // Closes the view (releasing the data dir) and the stream's connection.
  void Close();
  // How many times CatchUp opened the view.
  std::uint64_t opens() const { return opens_; }

 private:
  struct Open;
  const std::string dir_;
  const StoreOptions store_options_;
  const JetStreamOptions options_;
  std::unique_ptr<Open> open_;
  std::uint64_t opens_ = 0;
};

}  // namespace diphub::storage
