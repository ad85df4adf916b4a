// The sim adapter: simulated DIP participants inside the hub process. Deliveries to a
// participant with `adapter: sim` reach its SimParticipant (after its latency; failing inside
// its outages, so the hub's retries are exercised) instead of a network; its answers and
// scheduled messages go to HubApi::Submit as that participant.
//
// Trust: the simulator is in-process code, so it submits as the simulated participant with
// that participant's registered X-API-Key and `signer` set to its DIP ID, as if the transport
// had verified its signature. Only participants listed in the `sim` section are simulated.
//
// Every message a simulated participant receives or sends is recorded (events()), which is
// what the scenario runner observes. One I/O thread; the public methods are safe from any
// thread.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "adapters/sim/config.h"
#include "adapters/sim/participant.h"
#include "broker/adapter.h"

namespace diphub::adapters::sim {

struct SimEvent {
  enum class Kind {
    kReceived,  // delivered to a simulated participant (and acknowledged)
    kSent,      // sent by a simulated participant; `code` is the hub's answer
    kOutage,    // a delivery failed because the participant was in an outage
  };
  Kind kind = Kind::kReceived;
  std::size_t index = 0;  // position in events()
  std::chrono::steady_clock::time_point at;
  std::string participant;  // the simulated participant
  std::string counterpart;  // received: the sender; sent: the first primary recipient
  std::string interface_id, event, reference, mpan, response_code;
  std::string code;        // sent: the hub's answer, e.g. "MSG0000" (accepted) or "MSG1030"
  std::string detail;      // sent: the answer's message and help
  bool accepted = false;   // sent: the hub answered 201
  bool malformed = false;  // sent: broken on purpose (malformed_rate)
  std::string body;        // received: the message as delivered; sent: the send body
};

std::string_view EventKindName(SimEvent::Kind k);

class SimAdapter final : public broker::Adapter {
 public:
  SimAdapter(broker::HubApi& hub, SimConfig config);
  ~SimAdapter() override;

  std::string_view Name() const override { return "sim"; }
  dip::Status Start() override;
  void Stop() override;
  void Deliver(broker::DeliveryRequest request,
               std::function<void(broker::DeliveryResult)> done) override;
  bool Up() const override { return up_.load(); }
  std::vector<std::string> Endpoints() const override { return {}; }
  // Simulated participants live inside the hub: they need no webhook.
  bool UsesWebhooks() const override { return false; }

  // True when `dip_id` is simulated here.
  bool Simulates(std::string_view dip_id) const;
  // Builds a message from simulated participant `dip_id` (SimParticipant::Compose).
  dip::Result<Outgoing> Compose(std::string_view dip_id, const std::string& interface_id,
                                const std::string& event, const std::string& mpan,
                                std::vector<std::string> recipients,
                                const std::string& response_code,
                                const std::string& custom_block) const;
  // Sends `m` as its sender (a simulated participant), never malformed; returns the
  // senderUniqueReference given to it. The outcome is recorded as a kSent event.
  std::string Send(Outgoing m);
  // MDR: sends IF-064 for every MPAN it collects now, whatever its schedule.
  void SendConsumption(std::string_view dip_id);

  // The events recorded so far.
  std::vector<SimEvent> events() const;
  // The first event at index >= `from` that `match` accepts, waiting up to `timeout`.
  std::optional<SimEvent> WaitFor(const std::function<bool(const SimEvent&)>& match,
                                  std::chrono::milliseconds timeout, std::size_t from = 0);

 private:
  struct Sim {
    std::unique_ptr<SimParticipant> participant;
    std::unique_ptr<boost::asio::steady_timer> schedule;  // IF-064
    std::uint64_t sent = 0;                               // for references
  };
  Sim* Find(std::string_view dip_id);
  // On the I/O thread.
  void Receive(Sim& sim, const broker::DeliveryRequest& request,
               const std::function<void(broker::DeliveryResult)>& done);
  void SendNow(Sim& sim, Outgoing m, bool may_malform);
  void ScheduleConsumption(Sim& sim);
  std::string NextReference(Sim& sim, const Outgoing& m);
  void Record(SimEvent e);
  std::string MpidOf(std::string_view dip_id) const;

  broker::HubApi& hub_;
  const SimConfig config_;
  std::map<std::string, Sim, std::less<>> sims_;  // fixed after construction
  boost::asio::io_context io_;
  std::thread thread_;
  std::atomic<bool> up_{false};
  std::chrono::steady_clock::time_point started_;
  std::string run_tag_;                      // makes references unique across runs
  std::atomic<std::uint64_t> commanded_{0};  // Send() calls, for their references

  mutable std::mutex events_mu_;
  std::condition_variable events_cv_;
  std::vector<SimEvent> events_;  // guarded by events_mu_
};

}  // namespace diphub::adapters::sim
