// diphub-load's parts: the Plan, the senders' identities, the Source that builds the plan's
// requests in order, the Ledger of what was sent, acknowledged and delivered, and the two
// transports that play the plan against a hub:
//   RunHttp: `connections` keep-alive connections to POST /dip-channel/IF-064, one request in
//     flight on each, every request signed with its MDR's key (X-DIP headers) as a DIP client
//     would;
//   RunZmq: one zmq client per MDR (CURVE, or PLAIN with --zmq-security plain), SENDs pipelined
//     within the hub's credit.
// At a fixed rate each request has a due time and latency counts from it (so a stalled hub
// cannot hide its queueing delay).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bench/load/histogram.h"
#include "dip/signature.h"

namespace diphub::load {

using SteadyClock = std::chrono::steady_clock;

struct Plan {
  std::size_t pairs = 2;           // SDS-MDR pairs; pair k's MDR sends to its SDS
  std::uint64_t mpans = 1000;      // MPANs, spread over the MDRs (index % pairs)
  std::uint64_t messages = 20000;  // IF-064 messages in all
  std::size_t batch = 50;          // messages per POST
  std::size_t connections = 8;     // concurrent keep-alive connections
  double rate = 0;                 // messages per second; 0 = as fast as the hub answers
  // The first `warmup` messages warm the hub and the generator up (a fresh process faults its
  // memory in, its caches are cold): sent, answered and checked like the rest, but their
  // latencies are reported apart, not in the run's percentiles. Part of `messages`.
  std::uint64_t warmup = 0;
  std::string day;  // settlement day of the consumption, "YYYY-MM-DD"
};

struct Sender {
  std::string mdr, sds, api_key, sds_api_key;
  std::shared_ptr<const dip::Signer> signer;
  std::string zmq_public_key, zmq_secret_key;          // the MDR's CURVE pair (zmq transport)
  std::string sds_zmq_public_key, sds_zmq_secret_key;  // the SDS's, to receive over zmq
};

struct Request {
  std::uint64_t first = 0;  // sequence number of the first message
  std::size_t count = 0;
  std::size_t sender = 0;    // index into the senders
  std::int64_t due_us = -1;  // at a fixed rate: when it is due on the ledger's clock
  std::string body;          // the message array
  int attempts = 0;
};

// Builds the plan's requests in order. Request r comes from sender r % senders; each sender
// walks its own MPANs (index % pairs == its pair) round-robin, so a national day sends each MPAN
// exactly once when the message count equals the MPAN count. Not thread-safe.
class Source {
 public:
  Source(const Plan& plan, const std::vector<Sender>& senders, std::int64_t start_us);
  std::optional<Request> Take();

 private:
  const Plan& plan_;
  const std::vector<Sender>& senders_;
  std::vector<std::uint64_t> per_sender_;
  const std::uint64_t mpans_per_sender_;
  const std::int64_t start_us_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t next_request_ = 0;
};

// What was sent when and what came back, shared by the senders and the webhook receiver.
class Ledger {
 public:
  // Messages numbered below `warmup` are the warm-up (Plan::warmup): their latencies go to the
  // Warmup*() histograms only.
  explicit Ledger(std::uint64_t messages, std::uint64_t warmup = 0);

  // Microseconds on the steady clock since the ledger was made.
  std::int64_t Now() const;
  void Sent(std::uint64_t first, std::size_t count, std::int64_t at_us);
  // Stage timing (the generator's own share of the latency, reported apart):
  // a request went out `late_us` after its due time (signing, a busy I/O thread);
  void Written(std::int64_t late_us);
  // the webhook receiver spent `us` on one POST before counting its messages (its signature
  // check and the scan for sequence numbers).
  void SinkHandled(std::int64_t us);
  void Acked(std::uint64_t first, std::size_t count, std::int64_t latency_us);
  void Rejected(std::size_t count, int status, const std::string& body);
  void Overloaded() { overloaded_.fetch_add(1, std::memory_order_relaxed); }
  void ConnectionError(const std::string& what);
  // A delivery of message `seq` seen by a receiver.
  void Delivered(std::uint64_t seq);
  void BadSignature() { bad_signatures_.fetch_add(1, std::memory_order_relaxed); }

  std::uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
  std::uint64_t acked() const { return acked_.load(std::memory_order_relaxed); }
  std::uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }
  std::uint64_t overloaded() const { return overloaded_.load(std::memory_order_relaxed); }
  std::uint64_t delivered() const { return delivered_count_.load(std::memory_order_relaxed); }
  std::uint64_t duplicates() const { return duplicates_.load(std::memory_order_relaxed); }
  std::uint64_t unknown() const { return unknown_.load(std::memory_order_relaxed); }
  std::uint64_t bad_signatures() const { return bad_signatures_.load(std::memory_order_relaxed); }
  // When the last acknowledgement and the last new delivery arrived (Now() units; 0 = none).
  std::int64_t last_ack_us() const { return last_ack_us_.load(std::memory_order_relaxed); }
  std::int64_t last_delivery_us() const {
    return last_delivery_us_.load(std::memory_order_relaxed);
  }
  std::uint64_t connection_errors() const {
    return connection_errors_.load(std::memory_order_relaxed);
  }
  // The first rejection and connection error seen, for the report.
  std::string FirstProblem() const;
  Histogram AckLatency() const;
  Histogram DeliveryLatency() const;
  Histogram SendLateness() const;
  Histogram SinkHandling() const;
  // From the acknowledgement's arrival to the delivery's, per message; deliveries that came
  // before their acknowledgement was read count in delivered_before_ack() instead.
  Histogram AckToDelivery() const;
  std::uint64_t delivered_before_ack() const { return before_ack_.load(std::memory_order_relaxed); }
  // The warm-up's send -> ack and send -> delivery (empty without one).
  Histogram WarmupAckLatency() const;
  Histogram WarmupDeliveryLatency() const;

 private:
  const SteadyClock::time_point origin_ = SteadyClock::now();
  const std::uint64_t warmup_;
  std::vector<std::atomic<std::int64_t>> sent_at_;   // [seq]: due or write time, us; -1 = unsent
  std::vector<std::atomic<std::int64_t>> acked_at_;  // [seq]: when acknowledged, us; -1 = not
  std::vector<std::atomic<std::uint8_t>> seen_;      // [seq]: delivered at least once
  std::atomic<std::uint64_t> sent_{0}, acked_{0}, rejected_{0}, overloaded_{0};
  std::atomic<std::uint64_t> delivered_count_{0}, duplicates_{0}, unknown_{0};
  std::atomic<std::uint64_t> bad_signatures_{0}, connection_errors_{0};
  std::atomic<std::int64_t> last_ack_us_{0}, last_delivery_us_{0};
  std::atomic<std::uint64_t> before_ack_{0};
  mutable std::mutex mu_;
  Histogram ack_latency_;       // guarded by mu_
  Histogram delivery_latency_;  // guarded by mu_
  Histogram send_lateness_;     // guarded by mu_
  Histogram sink_handling_;     // guarded by mu_
  Histogram ack_to_delivery_;   // guarded by mu_
  Histogram warmup_ack_;        // guarded by mu_
  Histogram warmup_delivery_;   // guarded by mu_
  std::string first_problem_;   // guarded by mu_
};

// Runs the plan over HTTP against 127.0.0.1:`port` on the calling thread; returns when every
// message was answered (acknowledged or rejected) or a connection failed for good.
void RunHttp(const Plan& plan, const std::vector<Sender>& senders, std::uint16_t port,
             Ledger& ledger);

// The zmq transport: receivers (one client per SDS, taking deliveries) run until Stop(); Send()
// plays the plan from the calling thread over one client per MDR and returns when every send
// is acknowledged.
class ZmqLoad {
 public:
  // `plain`: the hub's zmq.security is plain; clients log in with DIP ID and API key.
  ZmqLoad(std::string endpoint, std::string server_public_key, const std::vector<Sender>& senders,
          Ledger& ledger, bool plain = false);
  ~ZmqLoad();
  // Connects every SDS's receiving client; an error when the hub refuses one.
  dip::Status StartReceivers();
  dip::Status Send(const Plan& plan);
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace diphub::load
