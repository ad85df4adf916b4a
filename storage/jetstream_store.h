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

// Brings the view in `dir` up to the stream's last entry as OpenJetStreamStore does, with the
// same checks, then closes it; nothing is written to the stream. A standby node runs it while it
// waits for the leader lease, so that taking over replays only what came since
// (docs/scaleout.md). Returns how many entries it applied. A crash part way is as safe as one
// during the replay at open: each entry's mutations and the view's position are one write.
dip::Result<std::uint64_t> CatchUpJetStreamView(const std::string& dir,
                                                const StoreOptions& store_options,
                                                const JetStreamOptions& options);

}  // namespace diphub::storage
