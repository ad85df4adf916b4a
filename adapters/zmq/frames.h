// The frames of the zmq adapter's protocol (docs/zmq-protocol.md): a pure parser of one client
// message and the encoders of both directions. No sockets here, so a fuzz target can drive
// ParseClientMessage directly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dip/status.h"

namespace diphub::adapters::zmq {

// Version 2 added the byte window (WELCOME's fifth frame). The hub still takes version-1 HELLOs
// and answers them as before: a four-frame WELCOME, and only the count of sends as credit.
inline constexpr std::string_view kProtocolVersion = "2";
inline constexpr std::string_view kProtocolVersion1 = "1";

// Client -> hub.
struct ClientMessage {
  enum class Type { kHello, kSend, kAck };
  Type type = Type::kHello;
  // HELLO
  int version = 2;               // the protocol version the client speaks (1 or 2)
  bool receive = false;          // the connection takes deliveries for its participant
  std::uint64_t last_acked = 0;  // the highest delivery seq the client has processed (resume)
  // SEND
  std::uint64_t seq = 0;  // the client's number for the send (also ACK's cumulative seq)
  std::string_view channel;
  std::string_view body;  // the DIP message array JSON, as over HTTP
};

// Parses one message (its frames, without the ROUTER's routing-id frame). On success the views
// point into `frames`. Errors name the frame and the rule broken.
dip::Status ParseClientMessage(const std::vector<std::string_view>& frames, ClientMessage* out);

// Hub -> client.
struct HubMessage {
  enum class Type { kWelcome, kAck, kDeliver, kError };
  Type type = Type::kError;
  std::string dip_id;               // WELCOME: the participant the CURVE key belongs to
  std::uint32_t credit = 0;         // WELCOME: sends the client may have unacknowledged
  std::uint64_t credit_bytes = 0;   // WELCOME: body bytes it may have unacknowledged (0: no limit)
  std::uint64_t seq = 0;            // ACK: the send's seq
  int status = 0;                   // ACK, ERROR: HTTP-equivalent status
  std::string_view body;            // ACK: StandardResponse; DELIVER: array; ERROR: text
  std::vector<std::uint64_t> seqs;  // DELIVER: each message's delivery seq, ascending
  bool replay = false;              // DELIVER: re-deliveries, not to be dropped as duplicates
};

// On success `body` points into `frames`.
dip::Status ParseHubMessage(const std::vector<std::string_view>& frames, HubMessage* out);

// Encoders: each returns the frames of one message.
std::vector<std::string> EncodeHello(bool receive, std::uint64_t last_acked);
std::vector<std::string> EncodeSend(std::uint64_t seq, std::string_view channel,
                                    std::string_view body);
std::vector<std::string> EncodeClientAck(std::uint64_t seq);
// `version` is the client's (ClientMessage::version): version 1 gets no byte window frame.
std::vector<std::string> EncodeWelcome(std::string_view dip_id, std::uint32_t credit,
                                       std::uint64_t credit_bytes, int version);
std::vector<std::string> EncodeAck(std::uint64_t seq, int status, std::string_view response);
// EncodeAck's frames but the last (the StandardResponse), for a sender that passes it without
// copying it.
std::vector<std::string> EncodeAckHead(std::uint64_t seq, int status);
std::vector<std::string> EncodeDeliver(const std::vector<std::uint64_t>& seqs, bool replay,
                                       std::string_view body);
// EncodeDeliver's frames but the last (the body), for a sender that passes the body frame
// without copying it.
std::vector<std::string> EncodeDeliverHead(const std::vector<std::uint64_t>& seqs, bool replay);
std::vector<std::string> EncodeError(int status, std::string_view text);

}  // namespace diphub::adapters::zmq
