// A small blocking client of the zmq adapter (docs/zmq-protocol.md), used by `diphub send`,
// `diphub recv`, the tests and the benchmark.
//
// Thread-safety: none; one thread uses a Client. Handlers run inside Send, Poll and Flush.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "dip/status.h"

namespace diphub::adapters::zmq {

struct ClientOptions {
  std::string endpoint;           // the hub's zmq endpoint, e.g. tcp://127.0.0.1:5560
  std::string server_public_key;  // the hub's CURVE public key (Z85)
  std::string public_key;         // this participant's CURVE key pair (Z85); the hub knows the
  std::string secret_key;         // public key as the participant's zmq_public_key
  // For a hub whose zmq.security is plain (docs/security.md): ZMQ PLAIN with this participant's
  // DIP ID and API key instead of the CURVE keys above, unencrypted. Default: false (CURVE)
  bool plain = false;
  std::string dip_id, api_key;   // with `plain`
  bool receive = false;          // take deliveries for the participant
  std::uint64_t last_acked = 0;  // resume: the highest delivery seq already processed
  bool auto_ack = true;          // ACK each delivery once on_delivery returns
  std::chrono::milliseconds connect_timeout{5000};  // for the WELCOME. Default: 5 s
};

struct SendAck {
  std::uint64_t seq = 0;
  int status = 0;        // 201 accepted and durable; otherwise as the HTTP API answers
  std::string response;  // StandardResponse JSON
};

struct Delivered {
  std::uint64_t seq = 0;  // the hub's delivery sequence of the message
  bool replay = false;    // a requested re-delivery
  std::string message;    // one DIP message (egress form) as JSON
};

class Client {
 public:
  // Connects, says HELLO and waits for WELCOME. Fails when the hub refuses the CURVE key.
  static dip::Result<std::unique_ptr<Client>> Connect(ClientOptions options);
  ~Client();

  const std::string& dip_id() const { return dip_id_; }
  std::uint32_t credit() const { return credit_; }
  // The byte window: body bytes that may be unacknowledged (0: none given).
  std::uint64_t credit_bytes() const { return credit_bytes_; }
  std::size_t unacked() const { return unacked_.size(); }
  std::uint64_t unacked_bytes() const { return unacked_bytes_; }
  // The highest delivery seq handed to on_delivery (give it as last_acked when reconnecting).
  std::uint64_t last_delivered() const { return last_delivered_; }
  std::uint64_t last_acked() const { return last_acked_; }

  // Sends a message array on `channel`; while the credit window is full (`credit` sends, or
  // `credit_bytes` body bytes unless nothing is unacknowledged) it first handles what arrives.
  // Returns the send's seq, which its SendAck carries.
  dip::Result<std::uint64_t> Send(std::string_view channel, std::string_view body,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // The same, but the body is handed to libzmq as it is, not copied (freed once sent).
  dip::Result<std::uint64_t> SendOwned(
      std::string_view channel, std::string body,
      std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Handles what arrives within `timeout`; returns once something was handled, or at timeout.
  // An error means the connection is unusable (refused, dropped, protocol error): reconnect.
  dip::Status Poll(std::chrono::milliseconds timeout);
  // File descriptors that become readable when something may have arrived (libzmq's ZMQ_FD of
  // the connection and of its monitor), for a caller that waits on several clients at once with
  // poll(2): it calls Poll(0) on every client before it waits (ZMQ_FD signals a change, not a
  // level) and after each wake.
  std::vector<int> WaitFds();
  // Waits until every send is acknowledged.
  dip::Status Flush(std::chrono::milliseconds timeout);
  // Acknowledges deliveries through `seq` (cumulative).
  void Ack(std::uint64_t seq);

  std::function<void(const SendAck&)> on_ack;
  // Only messages not handed out before (seq above last_delivered), unless replayed.
  std::function<void(const std::vector<Delivered>&)> on_delivery;

 private:
  explicit Client(ClientOptions options);
  dip::Status Open();
  // Handles one event if any is ready within `timeout`; true if one was handled.
  dip::Result<bool> HandleOne(std::chrono::milliseconds timeout);
  dip::Status OnMessage(std::vector<::zmq::message_t>& frames);
  dip::Status OnMonitorEvent();
  void SendFrames(const std::vector<std::string>& frames);
  // Waits for room in the credit window for `bytes` more; then numbers the send.
  dip::Result<std::uint64_t> Admit(std::size_t bytes, std::chrono::milliseconds timeout);
  // SEND's frames but the body.
  void SendHead(std::uint64_t seq, std::string_view channel);

  ClientOptions options_;
  ::zmq::context_t context_;
  ::zmq::socket_t socket_;
  ::zmq::socket_t monitor_;
  std::string dip_id_;
  std::uint32_t credit_ = 0;
  std::uint64_t credit_bytes_ = 0;
  bool welcomed_ = false;
  std::uint64_t next_seq_ = 1;
  std::map<std::uint64_t, std::size_t> unacked_;  // seq -> body bytes
  std::uint64_t unacked_bytes_ = 0;
  std::uint64_t last_delivered_ = 0;
  std::uint64_t last_acked_ = 0;
  std::string split_buffer_;  // a DELIVER's body with the parser's padding, reused
};

// A fresh CURVE key pair (Z85 public, secret).
std::pair<std::string, std::string> CurveKeyPair();
// The public key of a secret key (Z85), or "" if it is not one.
std::string CurvePublicKey(const std::string& secret_key);

}  // namespace diphub::adapters::zmq
