#include "adapters/sim/sim_adapter.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

namespace diphub::adapters::sim {
namespace {

namespace asio = boost::asio;

// The first item of a StandardResponse: its code ("MSG0000") and "message: help".
void ReadAnswer(const std::string& body, std::string* code, std::string* detail) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc, item;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS ||
      doc["messageArray"].at(0).get(item) != simdjson::SUCCESS) {
    return;
  }
  std::string_view message, help;
  if (item["message"].get_string().get(message) == simdjson::SUCCESS) {
    *code = std::string(message.substr(0, message.find(' ')));
    *detail = std::string(message);
  }
  if (item["help"].get_string().get(help) == simdjson::SUCCESS) {
    *detail += ": " + std::string(help);
  }
}

}  // namespace

std::string_view EventKindName(SimEvent::Kind k) {
  switch (k) {
    case SimEvent::Kind::kReceived:
      return "received";
    case SimEvent::Kind::kSent:
      return "sent";
    case SimEvent::Kind::kOutage:
      return "outage";
  }
  return "?";
}

SimAdapter::SimAdapter(broker::HubApi& hub, SimConfig config)
    : hub_(hub), config_(std::move(config)) {
  auto reg = hub_.registry();
  for (const SimParticipantConfig& p : config_.participants) {
    const routing::Participant* registered = reg->Find(p.dip_id);
    Sim sim;
    sim.participant = std::make_unique<SimParticipant>(
        p, config_.seed, registered ? registered->role : std::string(BehaviourName(p.behaviour)),
        [this](std::string_view id) { return MpidOf(id); });
    sims_.emplace(p.dip_id, std::move(sim));
  }
}

SimAdapter::~SimAdapter() {
  Stop();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

std::string SimAdapter::MpidOf(std::string_view dip_id) const {
  const routing::Participant* p = hub_.registry()->Find(dip_id);
  return p ? p->mpid : "";
}

SimAdapter::Sim* SimAdapter::Find(std::string_view dip_id) {
  auto it = sims_.find(dip_id);
  return it == sims_.end() ? nullptr : &it->second;
}

bool SimAdapter::Simulates(std::string_view dip_id) const { return sims_.contains(dip_id); }

dip::Status SimAdapter::Start() {
  started_ = std::chrono::steady_clock::now();
  // Letters and digits only: it ends the senderUniqueReference (messages.h Reference).
  run_tag_ = std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(dip::Clock::now().time_since_epoch())
          .count() %
      100000000);
  thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(io_);
    io_.run();
  });
  up_ = true;
  asio::post(io_, [this] {
    for (auto& [id, sim] : sims_) {
      for (Outgoing& m : sim.participant->Appointments(dip::Clock::now())) {
        SendNow(sim, std::move(m), true);
      }
      if (sim.participant->config().consumption_every.count() > 0) ScheduleConsumption(sim);
    }
  });
  spdlog::info("sim: {} simulated participants", sims_.size());
  return dip::Status::Ok();
}

void SimAdapter::Stop() {
  if (!up_.exchange(false)) return;
  asio::post(io_, [this] {
    for (auto& [id, sim] : sims_) {
      if (sim.schedule) sim.schedule->cancel();
    }
  });
}

void SimAdapter::ScheduleConsumption(Sim& sim) {
  if (!sim.schedule) sim.schedule = std::make_unique<asio::steady_timer>(io_);
  sim.schedule->expires_after(sim.participant->config().consumption_every);
  sim.schedule->async_wait([this, &sim](boost::system::error_code ec) {
    if (ec || !up_) return;
    for (Outgoing& m : sim.participant->Consumption(dip::Clock::now())) {
      SendNow(sim, std::move(m), true);
    }
    ScheduleConsumption(sim);
  });
}

void SimAdapter::Deliver(broker::DeliveryRequest request,
                         std::function<void(broker::DeliveryResult)> done) {
  asio::post(io_, [this, request = std::move(request), done = std::move(done)]() mutable {
    Sim* sim = Find(request.recipient);
    if (sim == nullptr) {
      return done({0, request.recipient + " is not simulated (not in the sim section)"});
    }
    auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started_);
    if (sim->participant->InOutage(since)) {
      SimEvent e;
      e.kind = SimEvent::Kind::kOutage;
      e.participant = request.recipient;
      Record(std::move(e));
      return done({0, "simulated outage of " + request.recipient});
    }
    auto latency = sim->participant->config().latency;
    if (latency.count() == 0) return Receive(*sim, request, done);
    auto timer = std::make_shared<asio::steady_timer>(io_, latency);
    timer->async_wait([this, sim, timer, request = std::move(request), done = std::move(done)](
                          boost::system::error_code) { Receive(*sim, request, done); });
  });
}

void SimAdapter::Receive(Sim& sim, const broker::DeliveryRequest& request,
                         const std::function<void(broker::DeliveryResult)>& done) {
  auto messages = ParseDelivery(request.body);
  if (!messages.ok()) {
    spdlog::warn("sim: {} got a delivery it cannot read: {}", request.recipient,
                 messages.status().ToString());
    return done({400, ""});
  }
  std::vector<Outgoing> answers;
  for (const Received& m : messages.value()) {
    SimEvent e;
    e.kind = SimEvent::Kind::kReceived;
    e.participant = sim.participant->dip_id();
    e.counterpart = m.sender;
    e.interface_id = m.interface_id;
    e.event = m.event;
    e.reference = m.reference;
    e.mpan = m.mpan;
    e.response_code = m.response_code;
    e.body = m.raw;
    Record(std::move(e));
    for (Outgoing& o : sim.participant->OnReceived(m, dip::Clock::now())) {
      answers.push_back(std::move(o));
    }
  }
  done({201, ""});
  if (answers.empty()) return;
  auto timer = std::make_shared<asio::steady_timer>(io_, sim.participant->config().latency);
  timer->async_wait([this, &sim, timer, answers = std::move(answers)](boost::system::error_code) {
    for (const Outgoing& o : answers) SendNow(sim, o, true);
  });
}

std::string SimAdapter::NextReference(Sim& sim, const Outgoing& m) {
  return Reference(m, dip::Clock::now(), run_tag_ + "n" + std::to_string(++sim.sent));
}

void SimAdapter::SendNow(Sim& sim, Outgoing m, bool may_malform) {
  if (m.reference.empty()) m.reference = NextReference(sim, m);
  m.environment_tag = hub_.settings().environment_tag;
  SimEvent e;
  e.kind = SimEvent::Kind::kSent;
  e.participant = m.sender;
  e.counterpart = m.primary_recipients.empty() ? "" : m.primary_recipients.front();
  e.interface_id = m.interface_id;
  e.event = m.event;
  e.reference = m.reference;
  e.mpan = m.mpan;
  e.response_code = m.response_code;
  e.body = RenderMessage(m, dip::Clock::now());
  if (may_malform && sim.participant->DrawMalformed()) {
    e.body = Malform(std::move(e.body));
    e.malformed = true;
  }
  broker::SubmitRequest request;
  request.channel = m.interface_id;
  request.body = e.body;
  const routing::Participant* p = hub_.registry()->Find(m.sender);
  if (p != nullptr && !p->api_key.empty()) request.api_key = p->api_key;
  request.signer = m.sender;
  hub_.Submit(std::move(request), [this, e = std::move(e)](broker::SubmitResponse r) mutable {
    e.accepted = r.kind == broker::SubmitResponse::Kind::kAccepted;
    ReadAnswer(r.body, &e.code, &e.detail);
    if (e.code.empty()) e.detail = r.reason;
    if (!e.accepted) {
      spdlog::info("sim: {} sent {} {}: refused: {}", e.participant, e.interface_id, e.reference,
                   e.detail.empty() ? r.reason : e.detail);
    }
    Record(std::move(e));
  });
}

dip::Result<Outgoing> SimAdapter::Compose(std::string_view dip_id, const std::string& interface_id,
                                          const std::string& event, const std::string& mpan,
                                          std::vector<std::string> recipients,
                                          const std::string& response_code,
                                          const std::string& custom_block) const {
  auto it = sims_.find(dip_id);
  if (it == sims_.end()) {
    return dip::Status::Config(std::string(dip_id) + " is not a simulated participant");
  }
  // Compose reads only the participant's configuration, which never changes.
  return it->second.participant->Compose(interface_id, event, mpan, std::move(recipients),
                                         response_code, custom_block, dip::Clock::now());
}

std::string SimAdapter::Send(Outgoing m) {
  Sim* sim = Find(m.sender);
  if (sim == nullptr) return "";
  // The reference is chosen here so that the caller can wait for it; Sim::sent is only
  // touched on the I/O thread, so this one is drawn from a separate sequence.
  m.reference = Reference(m, dip::Clock::now(), run_tag_ + "c" + std::to_string(++commanded_));
  std::string reference = m.reference;
  asio::post(io_, [this, sim, m = std::move(m)]() mutable { SendNow(*sim, std::move(m), false); });
  return reference;
}

void SimAdapter::SendConsumption(std::string_view dip_id) {
  Sim* sim = Find(dip_id);
  if (sim == nullptr) return;
  asio::post(io_, [this, sim] {
    for (Outgoing& m : sim->participant->Consumption(dip::Clock::now())) {
      SendNow(*sim, std::move(m), false);
    }
  });
}

void SimAdapter::Record(SimEvent e) {
  e.at = std::chrono::steady_clock::now();
  std::lock_guard lock(events_mu_);
  e.index = events_.size();
  events_.push_back(std::move(e));
  events_cv_.notify_all();
}

std::vector<SimEvent> SimAdapter::events() const {
  std::lock_guard lock(events_mu_);
  return events_;
}

std::optional<SimEvent> SimAdapter::WaitFor(const std::function<bool(const SimEvent&)>& match,
                                            std::chrono::milliseconds timeout, std::size_t from) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(events_mu_);
  std::size_t next = from;
  while (true) {
    for (; next < events_.size(); ++next) {
      if (match(events_[next])) return events_[next];
    }
    if (events_cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      for (; next < events_.size(); ++next) {
        if (match(events_[next])) return events_[next];
      }
      return std::nullopt;
    }
  }
}

namespace {

dip::Result<std::unique_ptr<broker::Adapter>> Make(broker::HubApi& hub, const YAML::Node& node) {
  auto config = ParseSimConfig(node);
  if (!config.ok()) return config.status();
  auto reg = hub.registry();
  for (const SimParticipantConfig& p : config.value().participants) {
    const routing::Participant* r = reg->Find(p.dip_id);
    std::string where = "sim.participants: " + p.dip_id;
    if (r == nullptr) return dip::Status::Config(where + " is not in participants");
    if (r->adapter != "sim") {
      return dip::Status::Config(where + " must have adapter: sim (it has \"" + r->adapter + "\")");
    }
    if (r->role != BehaviourName(p.behaviour)) {
      return dip::Status::Config(where + " is registered as " + r->role +
                                 ", so it cannot behave as " +
                                 std::string(BehaviourName(p.behaviour)));
    }
  }
  return std::unique_ptr<broker::Adapter>(new SimAdapter(hub, std::move(config).value()));
}

}  // namespace

DIPHUB_REGISTER_ADAPTER("sim", Make);

}  // namespace diphub::adapters::sim
