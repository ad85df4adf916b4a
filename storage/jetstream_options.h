// Options of storage.engine: jetstream (docs/configuration.md#storage): where the stream is and
// how it is made. Plain struct; validated by the configuration parser (broker/config.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace diphub::storage {

struct JetStreamOptions {
  // nats:// URLs of the cluster's servers; the client picks one and fails over. Default: none
  std::vector<std::string> servers;
  std::string stream = "DIPHUB";       // the stream's name. Default: "DIPHUB"
  std::string subject = "diphub.log";  // the one subject it holds. Default: "diphub.log"
  int replicas = 3;                    // R of the stream (created so). Default: 3
  // Entries older than this leave the stream (MaxAge); 0 keeps them. Default: 0 (no limit)
  std::int64_t max_age_seconds = 0;
  // How long a publish waits for its PubAck (and any other JetStream request). Default: 5000
  std::int64_t ack_timeout_ms = 5000;
  // Called once (from the writer thread, after the calls of the failed round have their
  // error) when the store can no longer write: it was fenced
  // (the stream moved past its last entry: another writer), or a log entry was stored but
  // could not be applied to the local view. Every write fails from then on; the node should
  // exit so that a restart replays the stream. Default: none
  std::function<void(const std::string& reason)> on_fatal;
  // Called from the writer thread after each round's publish, with the seconds from the first
  // part's publish to the last part's PubAck. Default: none
  std::function<void(double seconds)> on_publish;
  // Called once at open with the number of log entries replayed into the view. Default: none
  std::function<void(std::uint64_t entries)> on_replayed;
  // Called from the writer thread when the stream had lost entries that JetStream had
  // acknowledged to this node and they were published again (their parts). Default: none
  std::function<void(std::uint64_t parts)> on_restored;
  // How many bytes of the parts it published (the newest) the writer keeps, so that it can
  // publish them again if the stream loses them after their PubAck (docs/scaleout.md). 0:
  // none. Default: 64 MiB
  std::size_t retained_bytes = 64u << 20;
};

}  // namespace diphub::storage
