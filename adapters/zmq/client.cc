#include "adapters/zmq/client.h"

#include <simdjson.h>

#include <atomic>
#include <cstring>
#include <zmq_addon.hpp>

#include "adapters/zmq/frames.h"

namespace diphub::adapters::zmq {
namespace {

using Clock = std::chrono::steady_clock;

void SetInt(::zmq::socket_t& s, int option, int value) {
  zmq_setsockopt(s.handle(), option, &value, sizeof value);
}

std::string_view View(const ::zmq::message_t& m) {
  return {static_cast<const char*>(m.data()), m.size()};
}

std::chrono::milliseconds Left(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

// The messages of a delivered array, each as its own JSON text: the element's bytes as the hub
// sent them (one copy each), read with On-Demand from `padded`, a buffer kept between calls.
dip::Status Split(std::string_view body, std::string* padded, std::vector<std::string>* out) {
  padded->reserve(body.size() + simdjson::SIMDJSON_PADDING);
  padded->assign(body);
  thread_local simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::array array;
  if (parser.iterate(padded->data(), padded->size(), padded->capacity()).get(doc) ||
      doc.get_array().get(array)) {
    return dip::Status::Io("DELIVER: the body is not a JSON array");
  }
  for (auto element : array) {
    simdjson::ondemand::object object;
    std::string_view raw;
    if (element.get_object().get(object) || object.raw_json().get(raw)) {
      return dip::Status::Io("DELIVER: an element of the body is not a JSON object");
    }
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
      raw.remove_suffix(1);
    }
    out->emplace_back(raw);
  }
  return dip::Status::Ok();
}

}  // namespace

std::pair<std::string, std::string> CurveKeyPair() {
  char pub[41] = {}, sec[41] = {};
  zmq_curve_keypair(pub, sec);
  return {pub, sec};
}

std::string CurvePublicKey(const std::string& secret_key) {
  char pub[41] = {};
  if (secret_key.size() != 40 || zmq_curve_public(pub, secret_key.c_str()) != 0) return "";
  return pub;
}

Client::Client(ClientOptions options) : options_(std::move(options)), context_(1) {}

Client::~Client() {
  socket_.close();
  monitor_.close();
  context_.close();
}

dip::Result<std::unique_ptr<Client>> Client::Connect(ClientOptions options) {
  std::unique_ptr<Client> c(new Client(std::move(options)));
  if (dip::Status s = c->Open(); !s.ok()) return s;
  return c;
}

dip::Status Client::Open() {
  static std::atomic<std::uint64_t> instances{0};
  try {
    socket_ = ::zmq::socket_t(context_, ::zmq::socket_type::dealer);
    if (options_.plain) {
      socket_.set(::zmq::sockopt::plain_username, options_.dip_id);
      socket_.set(::zmq::sockopt::plain_password, options_.api_key);
    } else {
      for (const std::string* key :
           {&options_.server_public_key, &options_.public_key, &options_.secret_key}) {
        if (key->size() != 40)
          return dip::Status::Config("zmq client: CURVE keys are 40 Z85 chars");
      }
      zmq_setsockopt(socket_.handle(), ZMQ_CURVE_SERVERKEY, options_.server_public_key.data(), 40);
      zmq_setsockopt(socket_.handle(), ZMQ_CURVE_PUBLICKEY, options_.public_key.data(), 40);
      zmq_setsockopt(socket_.handle(), ZMQ_CURVE_SECRETKEY, options_.secret_key.data(), 40);
    }
    SetInt(socket_, ZMQ_LINGER, 1000);  // a last ACK or SEND still leaves on close
    SetInt(socket_, ZMQ_SNDHWM, 0);     // the credit window bounds what is queued
    SetInt(socket_, ZMQ_RCVHWM, 0);
    SetInt(socket_, ZMQ_HEARTBEAT_IVL, 1000);
    SetInt(socket_, ZMQ_HEARTBEAT_TIMEOUT, 5000);
    const std::string monitor_endpoint =
        "inproc://diphub-zmq-client-monitor-" + std::to_string(instances++);
    zmq_socket_monitor(socket_.handle(), monitor_endpoint.c_str(),
                       ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    monitor_ = ::zmq::socket_t(context_, ::zmq::socket_type::pair);
    monitor_.connect(monitor_endpoint);
    socket_.connect(options_.endpoint);
  } catch (const ::zmq::error_t& e) {
    return dip::Status::Config("zmq client: cannot connect to \"" + options_.endpoint +
                               "\": " + e.what());
  }
  SendFrames(EncodeHello(options_.receive, options_.last_acked));
  last_delivered_ = last_acked_ = options_.last_acked;
  const auto deadline = Clock::now() + options_.connect_timeout;
  while (!welcomed_) {
    if (Clock::now() >= deadline) {
      return dip::Status::Io("zmq client: no WELCOME from " + options_.endpoint + " within " +
                             std::to_string(options_.connect_timeout.count()) + " ms");
    }
    dip::Result<bool> handled = HandleOne(Left(deadline));
    if (!handled.ok()) return handled.status();
  }
  return dip::Status::Ok();
}

void Client::SendFrames(const std::vector<std::string>& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    socket_.send(::zmq::buffer(frames[i]),
                 i + 1 < frames.size() ? ::zmq::send_flags::sndmore : ::zmq::send_flags::none);
  }
}

dip::Result<bool> Client::HandleOne(std::chrono::milliseconds timeout) {
  std::array<::zmq::pollitem_t, 2> items{
      {{socket_.handle(), 0, ZMQ_POLLIN, 0}, {monitor_.handle(), 0, ZMQ_POLLIN, 0}}};
  ::zmq::poll(items.data(), items.size(), timeout);
  if (items[1].revents & ZMQ_POLLIN) {
    if (dip::Status s = OnMonitorEvent(); !s.ok()) return s;
  }
  if (!(items[0].revents & ZMQ_POLLIN)) return false;
  std::vector<::zmq::message_t> frames;
  if (!::zmq::recv_multipart(socket_, std::back_inserter(frames), ::zmq::recv_flags::dontwait)) {
    return false;
  }
  if (dip::Status s = OnMessage(frames); !s.ok()) return s;
  return true;
}

dip::Status Client::OnMonitorEvent() {
  std::vector<::zmq::message_t> event;
  if (!::zmq::recv_multipart(monitor_, std::back_inserter(event), ::zmq::recv_flags::dontwait) ||
      event.empty() || event[0].size() < 6) {
    return dip::Status::Ok();
  }
  std::uint16_t id = 0;
  std::uint32_t value = 0;
  std::memcpy(&id, event[0].data(), 2);
  std::memcpy(&value, static_cast<const char*>(event[0].data()) + 2, 4);
  if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
    return dip::Status::Io(std::string("zmq client: the hub refused this ") +
                           (options_.plain ? "DIP ID and API key" : "CURVE key") + " (ZAP status " +
                           std::to_string(value) + ")");
  }
  if (id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
    return dip::Status::Io(
        "zmq client: CURVE handshake failed (wrong server key, or not a diphub zmq endpoint)");
  }
  if (id == ZMQ_EVENT_DISCONNECTED && welcomed_) {
    return dip::Status::Io("zmq client: disconnected from " + options_.endpoint);
  }
  return dip::Status::Ok();
}

dip::Status Client::OnMessage(std::vector<::zmq::message_t>& frames) {
  std::vector<std::string_view> views;
  for (const auto& f : frames) views.push_back(View(f));
  HubMessage m;
  if (dip::Status s = ParseHubMessage(views, &m); !s.ok()) {
    return dip::Status::Io("zmq client: unreadable message from the hub: " + s.help());
  }
  switch (m.type) {
    case HubMessage::Type::kWelcome:
      dip_id_ = m.dip_id;
      credit_ = m.credit;
      credit_bytes_ = m.credit_bytes;
      welcomed_ = true;
      return dip::Status::Ok();
    case HubMessage::Type::kError:
      return dip::Status::Io("zmq client: the hub answered " + std::to_string(m.status) + ": " +
                             std::string(m.body));
    case HubMessage::Type::kAck: {
      if (auto it = unacked_.find(m.seq); it != unacked_.end()) {
        unacked_bytes_ -= it->second;
        unacked_.erase(it);
      }
      if (on_ack) on_ack(SendAck{m.seq, m.status, std::string(m.body)});
      return dip::Status::Ok();
    }
    case HubMessage::Type::kDeliver: {
      std::vector<std::string> messages;
      messages.reserve(m.seqs.size());
      if (dip::Status s = Split(m.body, &split_buffer_, &messages); !s.ok()) return s;
      if (messages.size() != m.seqs.size()) {
        return dip::Status::Io("zmq client: DELIVER has " + std::to_string(m.seqs.size()) +
                               " seqs for " + std::to_string(messages.size()) + " messages");
      }
      std::vector<Delivered> fresh;
      for (std::size_t i = 0; i < messages.size(); ++i) {
        // Seen before (its ACK was lost to a disconnect): dropped, unless a replay.
        if (!m.replay && m.seqs[i] <= last_delivered_) continue;
        fresh.push_back({m.seqs[i], m.replay, std::move(messages[i])});
      }
      if (!m.replay) last_delivered_ = std::max(last_delivered_, m.seqs.back());
      if (!fresh.empty() && on_delivery) on_delivery(fresh);
      if (options_.auto_ack) Ack(m.seqs.back());
      return dip::Status::Ok();
    }
  }
  return dip::Status::Ok();
}

void Client::Ack(std::uint64_t seq) {
  last_acked_ = std::max(last_acked_, seq);
  SendFrames(EncodeClientAck(seq));
}

dip::Result<std::uint64_t> Client::Admit(std::size_t bytes, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto full = [&] {
    return unacked_.size() >= credit_ ||
           (credit_bytes_ != 0 && !unacked_.empty() && unacked_bytes_ + bytes > credit_bytes_);
  };
  while (full()) {
    if (Clock::now() >= deadline) {
      return dip::Status::Io("zmq client: the credit window stayed full for " +
                             std::to_string(timeout.count()) + " ms");
    }
    dip::Result<bool> handled = HandleOne(Left(deadline));
    if (!handled.ok()) return handled.status();
  }
  const std::uint64_t seq = next_seq_++;
  unacked_.emplace(seq, bytes);
  unacked_bytes_ += bytes;
  return seq;
}

void Client::SendHead(std::uint64_t seq, std::string_view channel) {
  const std::string seq_text = std::to_string(seq);
  socket_.send(::zmq::buffer(std::string_view("SEND")), ::zmq::send_flags::sndmore);
  socket_.send(::zmq::buffer(seq_text), ::zmq::send_flags::sndmore);
  socket_.send(::zmq::buffer(channel), ::zmq::send_flags::sndmore);
}

dip::Result<std::uint64_t> Client::Send(std::string_view channel, std::string_view body,
                                        std::chrono::milliseconds timeout) {
  dip::Result<std::uint64_t> seq = Admit(body.size(), timeout);
  if (!seq.ok()) return seq;
  // The frames of EncodeSend, sent from views: the body is copied once, by libzmq.
  SendHead(seq.value(), channel);
  socket_.send(::zmq::buffer(body), ::zmq::send_flags::none);
  return seq;
}

dip::Result<std::uint64_t> Client::SendOwned(std::string_view channel, std::string body,
                                             std::chrono::milliseconds timeout) {
  dip::Result<std::uint64_t> seq = Admit(body.size(), timeout);
  if (!seq.ok()) return seq;
  SendHead(seq.value(), channel);
  // libzmq frees the frame on its own thread once it is sent; the string goes with it.
  auto* owned = new std::string(std::move(body));
  ::zmq::message_t frame(
      owned->data(), owned->size(),
      [](void*, void* hint) { delete static_cast<std::string*>(hint); }, owned);
  socket_.send(frame, ::zmq::send_flags::none);
  return seq;
}

dip::Status Client::Poll(std::chrono::milliseconds timeout) {
  dip::Result<bool> handled = HandleOne(timeout);
  if (!handled.ok()) return handled.status();
  // Then whatever else is already waiting.
  while (handled.value()) {
    handled = HandleOne(std::chrono::milliseconds(0));
    if (!handled.ok()) return handled.status();
  }
  return dip::Status::Ok();
}

std::vector<int> Client::WaitFds() {
  return {socket_.get(::zmq::sockopt::fd), monitor_.get(::zmq::sockopt::fd)};
}

dip::Status Client::Flush(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!unacked_.empty()) {
    if (Clock::now() >= deadline) {
      return dip::Status::Io("zmq client: " + std::to_string(unacked_.size()) +
                             " sends unacknowledged after " + std::to_string(timeout.count()) +
                             " ms");
    }
    dip::Result<bool> handled = HandleOne(Left(deadline));
    if (!handled.ok()) return handled.status();
  }
  return dip::Status::Ok();
}

}  // namespace diphub::adapters::zmq
