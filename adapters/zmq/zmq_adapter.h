// The zmq adapter: the native high-volume protocol of docs/zmq-protocol.md on one ROUTER socket
// with CURVE encryption, a ZAP handler that admits only participants' registered keys, sends
// acknowledged after the durable commit under a credit window, and deliveries pushed to the
// recipient's connection with cumulative acks.
//
// Threads: one I/O thread owns the ROUTER socket and every session; the ZAP thread answers
// handshakes; zmq.ingest_threads ingest threads (one per core by default) hand SENDs to the hub
// (parse, level-1 checks and routing run there, not on the I/O thread), each connection's SENDs
// on one of them, in order.
// Submit answers and Deliver calls arrive on other threads and are handed to the I/O thread
// through a task queue woken by an eventfd, so no socket is shared.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>

#include "adapters/zmq/config.h"
#include "adapters/zmq/frames.h"
#include "broker/adapter.h"

namespace diphub::adapters::zmq {

class ZmqAdapter final : public broker::Adapter {
 public:
  ZmqAdapter(broker::HubApi& hub, ZmqAdapterConfig config);
  ~ZmqAdapter() override;

  std::string_view Name() const override { return "zmq"; }
  dip::Status Start() override;
  void Stop() override;
  void Deliver(broker::DeliveryRequest request,
               std::function<void(broker::DeliveryResult)> done) override;
  std::vector<std::string> Endpoints() const override;
  bool Up() const override { return up_.load(); }
  bool UsesWebhooks() const override { return false; }

 private:
  using Clock = std::chrono::steady_clock;
  struct PendingSend;
  class IngestThread;
  // One connection that said HELLO, by ROUTER routing id.
  struct Session {
    std::string dip_id;
    bool receive = false;
    std::uint32_t unacked = 0;        // sends not yet answered
    bool byte_window = true;          // the client speaks version 2 (WELCOME had credit bytes)
    std::uint64_t unacked_bytes = 0;  // their body bytes (the byte window, zmq.credit_bytes)
    Clock::time_point last_seen;
    // The ingest thread of its SENDs, chosen at its first SEND (kNoIngest before).
    std::size_t ingest = kNoIngest;
  };
  static constexpr std::size_t kNoIngest = static_cast<std::size_t>(-1);
  // libzmq does not tell a ROUTER that a peer left; a session is forgotten when a send to it
  // fails, or, past this many sessions, when it has been idle (nothing unanswered) for a minute.
  static constexpr std::size_t kSweepSessionsAbove = 4096;
  // Delivery state per recipient DIP ID (kept across its connections).
  struct Receiver {
    std::string routing_id;   // its receiving connection; empty while none
    std::uint64_t acked = 0;  // highest delivery seq the recipient acknowledged
    struct Batch {
      broker::DeliveryRequest request;  // its body moved to `body`
      // The DELIVER's body, shared with the frames libzmq may still hold (sent without a copy).
      std::shared_ptr<const std::string> body;
      std::function<void(broker::DeliveryResult)> done;
      Clock::time_point deadline;
      bool sent = false;
    };
    std::optional<Batch> batch;  // the scheduler's batch in flight (at most one)
  };

  void Post(std::function<void()> task);
  void RunIo();
  void RunZap();
  void HandleIncoming(std::vector<::zmq::message_t>& frames);
  void OnHello(const std::string& rid, const std::string& dip_id, const ClientMessage& m);
  // `body` is the SEND's body frame (m.body views it).
  void OnSend(const std::string& rid, Session& session, const ClientMessage& m,
              ::zmq::message_t body);
  void OnClientAck(Session& session, std::uint64_t seq);
  void Submit(std::shared_ptr<PendingSend> send);
  void OnSubmitted(std::shared_ptr<PendingSend> send, broker::SubmitResponse response);
  static bool Covered(const Receiver::Batch& b, std::uint64_t acked);
  void Push(Receiver& r);
  void Finish(Receiver& r, broker::DeliveryResult result);
  void CheckDeadlines();
  void SweepIdleSessions();
  // The ingest thread with the fewest sending connections, counted as taken.
  std::size_t AssignIngest();
  // Before a session is erased: its ingest thread has one sending connection fewer.
  void ReleaseIngest(const Session& s);
  // False when the peer is gone.
  bool SendTo(const std::string& rid, const std::vector<std::string>& frames);
  // The same, then (unless null) `body` as the last frame, without a copy: libzmq holds a
  // reference until it is sent.
  bool SendTo(const std::string& rid, const std::vector<std::string>& frames,
              const std::shared_ptr<const std::string>& body);
  std::string Refusal(std::string_view help) const;

  broker::HubApi& hub_;
  const ZmqAdapterConfig config_;
  ::zmq::context_t context_;
  ::zmq::socket_t router_;
  ::zmq::socket_t zap_;
  std::string endpoint_;
  int wake_fd_ = -1;  // readable when tasks_ has work
  std::thread io_thread_, zap_thread_;
  std::vector<std::unique_ptr<IngestThread>> ingest_;
  std::atomic<bool> up_{false}, accepting_{false}, stop_{false};

  std::mutex tasks_mu_;
  std::vector<std::function<void()>> tasks_;  // guarded by tasks_mu_

  // I/O thread only.
  std::unordered_map<std::string, Session> sessions_;
  std::unordered_map<std::string, Receiver> receivers_;
  std::vector<std::size_t> ingest_sessions_;  // sending connections per ingest thread
  std::multimap<Clock::time_point, std::shared_ptr<PendingSend>> retries_;  // after a 429
};

}  // namespace diphub::adapters::zmq
