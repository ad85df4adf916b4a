// The JetStream stream that is the write-ahead log of storage.engine: jetstream: connect, make
// sure the stream exists as configured, publish with fencing, read back. Knows nothing of what
// the payloads mean (jetstream_entry.h) nor of the local view (jetstream_store.cc).
//
// Thread-safety: Publish and State are called by the store's one writer thread; Read at open,
// before it starts. Connect and the destructor from the owning thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "dip/status.h"
#include "storage/jetstream_options.h"

namespace diphub::storage::jetstream {

class Log {
 public:
  // Connects to `options.servers` (reconnecting forever once connected) and creates the stream
  // if absent (file storage, options.replicas, options.subject, options.max_age_seconds).
  // Refuses a stream whose replicas or subjects differ from the options, naming both.
  static dip::Result<std::unique_ptr<Log>> Open(const JetStreamOptions& options);
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  struct State {
    std::uint64_t first_seq = 0;  // 0 when the stream is empty
    std::uint64_t last_seq = 0;
    std::uint64_t messages = 0;
  };
  // The stream's state now (one request, at most ack_timeout_ms).
  dip::Result<State> GetState();

  enum class PublishError { kNone, kFenced, kNotSent, kUncertain };
  struct Published {
    PublishError error = PublishError::kNone;
    std::uint64_t seq = 0;   // the payload's stream sequence when error is kNone
    bool duplicate = false;  // kNone for a `msg_id` the stream already had: `seq` is that one's
    std::string detail;      // the error, for the log and the caller's status
  };
  // Publishes `payload` on the subject only if the stream's last sequence is `expect_last_seq`
  // (Nats-Expected-Last-Sequence), waiting up to ack_timeout_ms for the PubAck, which JetStream
  // sends once the replicas' quorum has stored it. kFenced: the stream has moved on (another
  // writer), nothing was stored. kNotSent: not connected (the client is reconnecting), nothing
  // was sent. kUncertain: no answer (timeout, connection lost); the payload may or may not be
  // stored. A non-empty `msg_id` (Nats-Msg-Id) makes the publish idempotent within the stream's
  // duplicate window (2 minutes): publishing the same `msg_id` again after kUncertain answers
  // kNone with the sequence the first one got (`duplicate`) if it was stored — JetStream checks
  // the id before the expected last sequence — and stores it now if it was not.
  Published Publish(std::string_view payload, std::uint64_t expect_last_seq,
                    const std::string& msg_id = {});

  // Calls fn(seq, payload) for every message of the stream from `from` to `to`, in order.
  // Stops at the first error fn returns.
  dip::Status Read(std::uint64_t from, std::uint64_t to,
                   const std::function<dip::Status(std::uint64_t, std::string_view)>& fn);

  // The largest payload the server takes (the connection's max_payload).
  std::size_t max_payload() const;

 private:
  struct Impl;
  explicit Log(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace diphub::storage::jetstream
