#include "adapters/zmq/zmq_adapter.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <functional>
#include <zmq_addon.hpp>

#include "dip/codes.h"
#include "dip/dip_time.h"
#include "dip/envelope.h"
#include "dip/standard_response.h"

namespace diphub::adapters::zmq {
namespace {

using broker::SubmitResponse;
using Kind = SubmitResponse::Kind;

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";

int StatusOf(Kind kind) {
  switch (kind) {
    case Kind::kAccepted:
      return 201;
    case Kind::kRejected:
      return 400;
    case Kind::kUnauthorized:
      return 401;
    case Kind::kForbidden:
      return 403;
    case Kind::kOverloaded:
      return 429;
    case Kind::kFailed:
      return 500;
    case Kind::kUnavailable:
      return 503;
  }
  return 500;
}

// Shown by top -H and perf, so a profile tells the adapter's threads apart (15 chars at most).
void NameThread(const std::string& name) { pthread_setname_np(pthread_self(), name.c_str()); }

void SetInt(::zmq::socket_t& s, int option, int value) {
  zmq_setsockopt(s.handle(), option, &value, sizeof value);
}

std::string_view View(const ::zmq::message_t& m) {
  return {static_cast<const char*>(m.data()), m.size()};
}

}  // namespace

// One SEND between its arrival and its ACK.
struct ZmqAdapter::PendingSend {
  std::string routing_id;
  std::string dip_id;
  std::uint64_t seq = 0;
  std::string channel;
  ::zmq::message_t body;        // the SEND's body frame, kept (not copied) until the ACK
  std::size_t bytes = 0;        // its size, counted against the byte window until the ACK
  std::uint32_t overloads = 0;  // 429 answers so far (each doubles the wait)
  std::size_t ingest = 0;       // the ingest thread of its connection
  std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();
};

// A thread that runs tasks in the order they were added.
class ZmqAdapter::IngestThread {
 public:
  explicit IngestThread(std::size_t index)
      : thread_([this, index] {
          NameThread("zmq-ingest-" + std::to_string(index));
          Run();
        }) {}
  ~IngestThread() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void Add(std::function<void()> task) {
    bool was_empty;
    {
      std::lock_guard lock(mu_);
      was_empty = tasks_.empty();
      tasks_.push_back(std::move(task));
    }
    // A non-empty queue was already signalled and is taken whole: no second wakeup.
    if (was_empty) cv_.notify_one();
  }

 private:
  void Run() {
    std::vector<std::function<void()>> batch;
    for (;;) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;  // stopping, nothing left
        batch.swap(tasks_);
      }
      for (auto& task : batch) task();
      batch.clear();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                     // guarded by mu_
  std::thread thread_;
};

namespace {

int IoThreads(const ZmqAdapterConfig& config) {
  const std::size_t n = config.io_threads != 0
                            ? config.io_threads
                            : std::max<std::size_t>(1, std::thread::hardware_concurrency());
  return static_cast<int>(n);
}

}  // namespace

ZmqAdapter::ZmqAdapter(broker::HubApi& hub, ZmqAdapterConfig config)
    : hub_(hub),
      config_(std::move(config)),
      context_(IoThreads(config_)),
      // From construction: delivery may resume the outbox (Deliver) before Start.
      wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

ZmqAdapter::~ZmqAdapter() {
  Stop();
  // Answers of the final group commit reach their clients within this grace period.
  if (io_thread_.joinable()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop_ = true;
  if (wake_fd_ >= 0) {
    std::uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
  }
  if (io_thread_.joinable()) io_thread_.join();
  // Only now (the I/O thread, which hands SENDs to them, is gone): run what is queued, so each
  // SEND reaches the hub, which refuses it while shutting down; those answers go nowhere.
  ingest_.clear();
  if (zap_thread_.joinable()) zap_thread_.join();
  router_.close();
  zap_.close();
  context_.close();
  if (wake_fd_ >= 0) close(wake_fd_);
  // Batches still in flight go back to the scheduler, which keeps them in the outbox.
  for (auto& [id, r] : receivers_) {
    if (r.batch) r.batch->done({0, "zmq adapter stopped"});
  }
}

dip::Status ZmqAdapter::Start() {
  if (wake_fd_ < 0) return dip::Status::Io("zmq: eventfd failed");
  const bool curve = config_.security == ZmqSecurity::kCurve;
  char public_key[41] = {};
  if (curve && zmq_curve_public(public_key, config_.secret_key.c_str()) != 0) {
    return dip::Status::Config("zmq.secret_key: not a valid CURVE secret key");
  }
  try {
    // The ZAP handler is bound before the ROUTER, so no handshake goes unchecked.
    zap_ = ::zmq::socket_t(context_, ::zmq::socket_type::rep);
    SetInt(zap_, ZMQ_LINGER, 0);
    zap_.bind(kZapEndpoint);
    router_ = ::zmq::socket_t(context_, ::zmq::socket_type::router);
    if (curve) {
      SetInt(router_, ZMQ_CURVE_SERVER, 1);
      zmq_setsockopt(router_.handle(), ZMQ_CURVE_SECRETKEY, config_.secret_key.data(), 40);
    } else {
      SetInt(router_, ZMQ_PLAIN_SERVER, 1);  // the ZAP handler checks DIP ID and API key
    }
    SetInt(router_, ZMQ_ROUTER_MANDATORY, 1);  // a send to a departed peer fails, not drops
    // Outbound is bounded by the protocol (credit, one batch per recipient), not by HWM drops.
    SetInt(router_, ZMQ_SNDHWM, 0);
    SetInt(router_, ZMQ_RCVHWM,
           static_cast<int>(std::min<std::uint32_t>(config_.credit * 2 + 64, 1u << 30)));
    std::int64_t max_size = static_cast<std::int64_t>(config_.max_message_bytes);
    zmq_setsockopt(router_.handle(), ZMQ_MAXMSGSIZE, &max_size, sizeof max_size);
    SetInt(router_, ZMQ_HEARTBEAT_IVL, 1000);
    SetInt(router_, ZMQ_HEARTBEAT_TIMEOUT, 5000);
    SetInt(router_, ZMQ_LINGER, 1000);
    router_.bind(config_.listen);
    endpoint_ = router_.get(::zmq::sockopt::last_endpoint);
  } catch (const ::zmq::error_t& e) {
    return dip::Status::Config("zmq.listen \"" + config_.listen + "\": cannot bind: " + e.what());
  }
  const std::size_t ingest_threads =
      config_.ingest_threads != 0 ? config_.ingest_threads
                                  : std::max<std::size_t>(1, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < ingest_threads; ++i) {
    ingest_.push_back(std::make_unique<IngestThread>(i));
  }
  ingest_sessions_.assign(ingest_.size(), 0);
  zap_thread_ = std::thread([this] {
    NameThread("zmq-zap");
    RunZap();
  });
  io_thread_ = std::thread([this] {
    NameThread("zmq-io");
    RunIo();
  });
  accepting_ = true;
  up_ = true;
  if (curve) {
    spdlog::info("zmq: listening on {} (CURVE server key {})", endpoint_, public_key);
  } else {
    spdlog::warn(
        "zmq: listening on {} with security PLAIN: API keys and messages cross the network "
        "unencrypted (zmq.security; docs/security.md)",
        endpoint_);
  }
  return dip::Status::Ok();
}

void ZmqAdapter::Stop() {
  up_ = false;
  accepting_ = false;
}

std::vector<std::string> ZmqAdapter::Endpoints() const {
  if (endpoint_.empty()) return {};
  return {"zmq=" + endpoint_};
}

void ZmqAdapter::Post(std::function<void()> task) {
  bool was_empty;
  {
    std::lock_guard lock(tasks_mu_);
    was_empty = tasks_.empty();
    tasks_.push_back(std::move(task));
  }
  // The I/O thread reads the eventfd before it takes the queue whole, so a queue that was not
  // empty has a wakeup pending that covers this task too (one write per batch of answers).
  if (!was_empty) return;
  std::uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
}

void ZmqAdapter::Deliver(broker::DeliveryRequest request,
                         std::function<void(broker::DeliveryResult)> done) {
  Post([this, request = std::move(request), done = std::move(done)]() mutable {
    Receiver& r = receivers_[request.recipient];
    if (r.batch) Finish(r, {0, "superseded by a newer batch"});  // not expected: one in flight
    if (!request.replay && !request.seqs.empty() && request.seqs.back() <= r.acked) {
      // The recipient acknowledged these before (its ACK crossed a disconnect): not re-sent.
      done({200, ""});
      return;
    }
    auto body = std::make_shared<const std::string>(std::move(request.body));
    r.batch = Receiver::Batch{std::move(request), std::move(body), std::move(done),
                              Clock::now() + config_.delivery_timeout, false};
    if (!r.routing_id.empty()) Push(r);
  });
}

// ---- ZAP: CURVE keys to DIP IDs ----

void ZmqAdapter::RunZap() {
  while (!stop_) {
    ::zmq::pollitem_t item{zap_.handle(), 0, ZMQ_POLLIN, 0};
    ::zmq::poll(&item, 1, std::chrono::milliseconds(100));
    if (!(item.revents & ZMQ_POLLIN)) continue;
    std::vector<::zmq::message_t> req;
    if (!::zmq::recv_multipart(zap_, std::back_inserter(req))) continue;
    // version, request id, domain, address, identity, mechanism, credentials...
    std::string request_id = req.size() > 1 ? std::string(View(req[1])) : "";
    std::string address = req.size() > 3 ? std::string(View(req[3])) : "";
    std::string status = "400", text = "refused", user;
    const bool curve = config_.security == ZmqSecurity::kCurve;
    if (!curve && req.size() >= 8 && View(req[0]) == "1.0" && View(req[5]) == "PLAIN") {
      // Username: the DIP ID; password: its API key (the HTTP API's credential).
      const std::string_view dip_id = View(req[6]);
      const routing::Participant* p = hub_.registry()->FindByApiKey(View(req[7]));
      if (p != nullptr && p->dip_id == dip_id) {
        user = p->dip_id;
        status = "200";
        text = "OK";
      } else {
        spdlog::warn(
            "zmq: refused a PLAIN connection from {}: its DIP ID and API key match "
            "no participant",
            address);
        text = "DIP ID and API key do not match a participant";
      }
    } else if (curve && req.size() >= 7 && View(req[0]) == "1.0" && View(req[5]) == "CURVE" &&
               req[6].size() == 32) {
      char z85[41] = {};
      zmq_z85_encode(z85, static_cast<const std::uint8_t*>(req[6].data()), 32);
      for (const routing::Participant& p : hub_.registry()->all()) {
        if (!p.zmq_public_key.empty() && p.zmq_public_key == z85) {
          user = p.dip_id;
          break;
        }
      }
      if (user.empty()) {
        spdlog::warn("zmq: refused a connection from {}: CURVE key {} belongs to no participant",
                     address, z85);
        text = "CURVE key not registered";
      } else {
        status = "200";
        text = "OK";
      }
    }
    const std::vector<std::string> reply{"1.0", request_id, status, text, user, ""};
    for (std::size_t i = 0; i < reply.size(); ++i) {
      zap_.send(::zmq::buffer(reply[i]),
                i + 1 < reply.size() ? ::zmq::send_flags::sndmore : ::zmq::send_flags::none);
    }
  }
}

// ---- the I/O thread ----

void ZmqAdapter::RunIo() {
  std::vector<std::function<void()>> batch;
  std::vector<::zmq::message_t> frames;  // one message's, reused
  while (!stop_) {
    std::array<::zmq::pollitem_t, 2> items{
        {{router_.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, wake_fd_, ZMQ_POLLIN, 0}}};
    auto wait = std::chrono::milliseconds(50);
    if (!retries_.empty()) {
      wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(
                            retries_.begin()->first - Clock::now()),
                        std::chrono::milliseconds(0), wait);
    }
    ::zmq::poll(items.data(), items.size(), wait);
    if (items[1].revents & ZMQ_POLLIN) {
      std::uint64_t n;
      (void)!read(wake_fd_, &n, sizeof n);
      {
        std::lock_guard lock(tasks_mu_);
        batch.swap(tasks_);
      }
      for (auto& task : batch) task();
      batch.clear();
    }
    // A bounded number of messages per turn, so answers and timers are not starved.
    for (int i = 0; i < 256 && (items[0].revents & ZMQ_POLLIN); ++i) {
      frames.clear();
      auto got =
          ::zmq::recv_multipart(router_, std::back_inserter(frames), ::zmq::recv_flags::dontwait);
      if (!got) break;
      HandleIncoming(frames);
    }
    const auto now = Clock::now();
    while (!retries_.empty() && retries_.begin()->first <= now) {
      std::shared_ptr<PendingSend> send = retries_.begin()->second;
      retries_.erase(retries_.begin());
      Submit(std::move(send));
    }
    CheckDeadlines();
  }
}

bool ZmqAdapter::SendTo(const std::string& rid, const std::vector<std::string>& frames) {
  return SendTo(rid, frames, nullptr);
}

bool ZmqAdapter::SendTo(const std::string& rid, const std::vector<std::string>& frames,
                        const std::shared_ptr<const std::string>& body) {
  try {
    if (!router_.send(::zmq::buffer(rid), ::zmq::send_flags::sndmore | ::zmq::send_flags::dontwait))
      return false;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      auto flags =
          i + 1 < frames.size() || body ? ::zmq::send_flags::sndmore : ::zmq::send_flags::none;
      router_.send(::zmq::buffer(frames[i]), flags | ::zmq::send_flags::dontwait);
    }
    if (body) {
      // libzmq frees the frame on its own thread once sent (or dropped); the copy of the
      // shared pointer held for it goes then.
      auto* hold = new std::shared_ptr<const std::string>(body);
      ::zmq::message_t frame(
          const_cast<char*>(body->data()), body->size(),
          [](void*, void* hint) { delete static_cast<std::shared_ptr<const std::string>*>(hint); },
          hold);
      router_.send(frame, ::zmq::send_flags::dontwait);
    }
    return true;
  } catch (const ::zmq::error_t&) {
    // EHOSTUNREACH: the peer disconnected; forget its session.
    if (auto it = sessions_.find(rid); it != sessions_.end()) {
      auto r = receivers_.find(it->second.dip_id);
      if (r != receivers_.end() && r->second.routing_id == rid) r->second.routing_id.clear();
      ReleaseIngest(it->second);
      sessions_.erase(it);
    }
    return false;
  }
}

std::string ZmqAdapter::Refusal(std::string_view help) const {
  dip::ResponseItem item;
  auto now = dip::Clock::now();
  item.sent_timestamp = dip::FormatDipTimestamp(now);
  item.sender_id = hub_.settings().dip_id;
  item.message = dip::CodeMessage(dip::codes::kProcessingFailed);
  item.help = std::string(help);
  return dip::RenderStandardResponse({item}, now);
}

void ZmqAdapter::HandleIncoming(std::vector<::zmq::message_t>& frames) {
  if (frames.size() < 2) return;
  const std::string rid(View(frames[0]));
  std::vector<std::string_view> views;
  views.reserve(frames.size() - 1);
  for (std::size_t i = 1; i < frames.size(); ++i) views.push_back(View(frames[i]));
  ClientMessage m;
  if (dip::Status s = ParseClientMessage(views, &m); !s.ok()) {
    SendTo(rid, EncodeError(400, s.ToString()));
    return;
  }
  if (m.type == ClientMessage::Type::kHello) {
    std::string dip_id;
    try {
      dip_id = frames[1].gets("User-Id");
    } catch (const ::zmq::error_t&) {
    }
    OnHello(rid, dip_id, m);
    return;
  }
  auto it = sessions_.find(rid);
  if (it == sessions_.end()) {
    SendTo(rid, EncodeError(400, "MSG1001 - Schema Failure: HELLO first"));
    return;
  }
  it->second.last_seen = Clock::now();
  if (m.type == ClientMessage::Type::kSend) {
    OnSend(rid, it->second, m, std::move(frames[4]));
  } else {
    OnClientAck(it->second, m.seq);
  }
}

void ZmqAdapter::OnHello(const std::string& rid, const std::string& dip_id,
                         const ClientMessage& m) {
  if (dip_id.empty() || hub_.registry()->Find(dip_id) == nullptr) {
    SendTo(rid, EncodeError(401, "no registered participant for this CURVE key"));
    return;
  }
  if (sessions_.size() >= kSweepSessionsAbove) SweepIdleSessions();
  Session& s = sessions_[rid];
  s.last_seen = Clock::now();
  s.dip_id = dip_id;
  s.receive = m.receive;
  s.byte_window = m.version >= 2;
  SendTo(rid, EncodeWelcome(dip_id, config_.credit, config_.credit_bytes, m.version));
  spdlog::info("zmq: {} connected ({}; last acknowledged delivery {})", dip_id,
               m.receive ? "receiving" : "sending", m.last_acked);
  if (!m.receive) return;
  Receiver& r = receivers_[dip_id];
  if (!r.routing_id.empty() && r.routing_id != rid) {
    if (auto old = sessions_.find(r.routing_id); old != sessions_.end())
      old->second.receive = false;
  }
  r.routing_id = rid;
  r.acked = std::max(r.acked, m.last_acked);
  if (r.batch) {
    if (Covered(*r.batch, r.acked) && !r.batch->request.replay) {
      Finish(r, {200, ""});
    } else {
      Push(r);  // what the last connection did not acknowledge, to this one
    }
  }
  hub_.KickDelivery(dip_id);  // cut short a retry backoff: the recipient is back
}

void ZmqAdapter::OnSend(const std::string& rid, Session& session, const ClientMessage& m,
                        ::zmq::message_t body) {
  if (!accepting_) {
    SendTo(rid, EncodeAck(m.seq, 503, Refusal("the hub is shutting down; send again later")));
    return;
  }
  if (session.unacked >= config_.credit) {
    SendTo(rid, EncodeAck(m.seq, 429,
                          Refusal("credit exceeded: at most " + std::to_string(config_.credit) +
                                  " sends may be unacknowledged (zmq.credit)")));
    return;
  }
  // A send larger than the byte window is admitted alone. A version-1 client was granted no
  // byte window, so only its count of sends is held to.
  if (session.byte_window && session.unacked > 0 &&
      session.unacked_bytes + body.size() > config_.credit_bytes) {
    SendTo(rid,
           EncodeAck(m.seq, 429,
                     Refusal("credit exceeded: at most " + std::to_string(config_.credit_bytes) +
                             " bytes of sends may be unacknowledged (zmq.credit_bytes)")));
    return;
  }
  ++session.unacked;
  session.unacked_bytes += body.size();
  auto send = std::make_shared<PendingSend>();
  send->routing_id = rid;
  send->dip_id = session.dip_id;
  send->seq = m.seq;
  send->channel = std::string(m.channel);
  send->bytes = body.size();
  send->body = std::move(body);
  // Each connection's SENDs on one ingest thread, in order; the connections spread evenly (a
  // hash of the routing id put three of four on one thread of two).
  if (session.ingest == kNoIngest) session.ingest = AssignIngest();
  send->ingest = session.ingest;
  Submit(std::move(send));
}

void ZmqAdapter::Submit(std::shared_ptr<PendingSend> send) {
  IngestThread& thread = *ingest_[send->ingest];
  thread.Add([this, send = std::move(send)]() mutable {
    broker::SubmitRequest req;
    req.channel = send->channel;
    // The frame is kept until the ACK: a 429 is submitted again. The one copy of the body, into
    // a buffer with room for the parser's padding, so the parser reads it in place.
    req.body.reserve(send->body.size() + dip::kBodyPadding);
    req.body.assign(static_cast<const char*>(send->body.data()), send->body.size());
    // The CURVE key is the participant's credential and its signature (docs/zmq-protocol.md).
    req.signer = send->dip_id;
    req.authenticated = send->dip_id;
    req.received = send->received;
    hub_.Submit(std::move(req), [this, send](SubmitResponse response) mutable {
      Post([this, send = std::move(send), response = std::move(response)]() mutable {
        OnSubmitted(std::move(send), std::move(response));
      });
    });
  });
}

void ZmqAdapter::OnSubmitted(std::shared_ptr<PendingSend> send, SubmitResponse response) {
  if (response.kind == Kind::kOverloaded && !stop_) {
    // Withhold credit: the send keeps its place in the window and is submitted again later.
    auto wait = config_.overload_retry * (1LL << std::min<std::uint32_t>(send->overloads, 6));
    ++send->overloads;
    retries_.emplace(Clock::now() + wait, std::move(send));
    return;
  }
  auto it = sessions_.find(send->routing_id);
  if (it != sessions_.end() && it->second.unacked > 0) {
    --it->second.unacked;
    it->second.unacked_bytes -= std::min(it->second.unacked_bytes, send->bytes);
  }
  // A departed client sends again after it reconnects (docs/zmq-protocol.md, at-least-once).
  // The StandardResponse (about 330 bytes per message of the send) goes to libzmq uncopied.
  SendTo(send->routing_id, EncodeAckHead(send->seq, StatusOf(response.kind)),
         std::make_shared<const std::string>(std::move(response.body)));
}

void ZmqAdapter::OnClientAck(Session& session, std::uint64_t seq) {
  Receiver& r = receivers_[session.dip_id];
  r.acked = std::max(r.acked, seq);
  // A replayed batch has seqs at or below earlier acks: only an ACK of its own covers it.
  if (r.batch && r.batch->sent && Covered(*r.batch, r.batch->request.replay ? seq : r.acked)) {
    Finish(r, {200, ""});
  }
}

bool ZmqAdapter::Covered(const Receiver::Batch& b, std::uint64_t acked) {
  return b.request.seqs.empty() || b.request.seqs.back() <= acked;
}

void ZmqAdapter::Push(Receiver& r) {
  Receiver::Batch& b = *r.batch;
  if (SendTo(r.routing_id, EncodeDeliverHead(b.request.seqs, b.request.replay), b.body)) {
    b.sent = true;
    b.deadline = Clock::now() + config_.delivery_timeout;
  }  // else the recipient is gone; the batch waits for the next HELLO or its deadline
}

void ZmqAdapter::Finish(Receiver& r, broker::DeliveryResult result) {
  auto done = std::move(r.batch->done);
  r.batch.reset();
  done(std::move(result));
}

void ZmqAdapter::SweepIdleSessions() {
  const auto idle_since = Clock::now() - std::chrono::minutes(1);
  std::erase_if(sessions_, [&](const auto& entry) {
    const Session& s = entry.second;
    const bool idle = !s.receive && s.unacked == 0 && s.last_seen < idle_since;
    if (idle) ReleaseIngest(s);
    return idle;
  });
}

std::size_t ZmqAdapter::AssignIngest() {
  const auto least = std::min_element(ingest_sessions_.begin(), ingest_sessions_.end());
  ++*least;
  return static_cast<std::size_t>(least - ingest_sessions_.begin());
}

void ZmqAdapter::ReleaseIngest(const Session& s) {
  if (s.ingest != kNoIngest && ingest_sessions_[s.ingest] > 0) --ingest_sessions_[s.ingest];
}

void ZmqAdapter::CheckDeadlines() {
  const auto now = Clock::now();
  for (auto& [id, r] : receivers_) {
    if (!r.batch || r.batch->deadline > now) continue;
    Finish(r, {0, r.routing_id.empty() ? "recipient not connected over zmq"
                                       : "no ACK within zmq.delivery_timeout_ms"});
  }
}

namespace {

dip::Result<std::unique_ptr<broker::Adapter>> Make(broker::HubApi& hub, const YAML::Node& node) {
  auto config = ParseZmqAdapterConfig(node);
  if (!config.ok()) return config.status();
  return std::unique_ptr<broker::Adapter>(new ZmqAdapter(hub, std::move(config).value()));
}

}  // namespace

DIPHUB_REGISTER_ADAPTER("zmq", Make);

}  // namespace diphub::adapters::zmq
