#include "adapters/zmq/frames.h"

#include <charconv>

#include "dip/codes.h"

namespace diphub::adapters::zmq {
namespace {

// A malformed frame is a schema failure of the transport envelope.
dip::Status Bad(std::string help) {
  return dip::Status::Dip(dip::codes::kSchemaFailure, std::move(help));
}

bool ParseU64(std::string_view text, std::uint64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

dip::Status Count(const std::vector<std::string_view>& frames, std::size_t want,
                  std::string_view type) {
  if (frames.size() == want) return dip::Status::Ok();
  return Bad(std::string(type) + ": expected " + std::to_string(want) + " frames, got " +
             std::to_string(frames.size()));
}

dip::Status Number(std::string_view frame, std::string_view what, std::uint64_t* out) {
  if (ParseU64(frame, out)) return dip::Status::Ok();
  return Bad(std::string(what) + ": expected a decimal number, got \"" +
             std::string(frame.substr(0, 32)) + "\"");
}

}  // namespace

dip::Status ParseClientMessage(const std::vector<std::string_view>& frames, ClientMessage* out) {
  if (frames.empty()) return Bad("message: no frames");
  const std::string_view type = frames[0];
  if (type == "HELLO") {
    out->type = ClientMessage::Type::kHello;
    if (auto s = Count(frames, 4, type); !s.ok()) return s;
    if (frames[1] != kProtocolVersion && frames[1] != kProtocolVersion1) {
      return Bad("HELLO version: expected \"" + std::string(kProtocolVersion) + "\" or \"" +
                 std::string(kProtocolVersion1) + "\", got \"" +
                 std::string(frames[1].substr(0, 16)) + "\"");
    }
    out->version = frames[1] == kProtocolVersion ? 2 : 1;
    if (frames[2] != "0" && frames[2] != "1") return Bad("HELLO receive: expected \"0\" or \"1\"");
    out->receive = frames[2] == "1";
    return Number(frames[3], "HELLO last-acked", &out->last_acked);
  }
  if (type == "SEND") {
    out->type = ClientMessage::Type::kSend;
    if (auto s = Count(frames, 4, type); !s.ok()) return s;
    if (auto s = Number(frames[1], "SEND seq", &out->seq); !s.ok()) return s;
    if (frames[2].empty() || frames[2].size() > 64) {
      return Bad("SEND channel: expected a DIP channel such as IF-061");
    }
    out->channel = frames[2];
    out->body = frames[3];
    return dip::Status::Ok();
  }
  if (type == "ACK") {
    out->type = ClientMessage::Type::kAck;
    if (auto s = Count(frames, 2, type); !s.ok()) return s;
    return Number(frames[1], "ACK seq", &out->seq);
  }
  return Bad("message type: expected HELLO, SEND or ACK, got \"" + std::string(type.substr(0, 16)) +
             "\"");
}

dip::Status ParseHubMessage(const std::vector<std::string_view>& frames, HubMessage* out) {
  if (frames.empty()) return Bad("message: no frames");
  const std::string_view type = frames[0];
  std::uint64_t n = 0;
  if (type == "WELCOME") {
    out->type = HubMessage::Type::kWelcome;
    // Version 2 carries the byte window in a fifth frame; a version-1 hub sends four.
    if (frames.size() < 2 || (frames[1] != kProtocolVersion && frames[1] != kProtocolVersion1)) {
      return Bad("WELCOME version: unsupported");
    }
    if (auto s = Count(frames, frames[1] == kProtocolVersion ? 5 : 4, type); !s.ok()) return s;
    out->dip_id = std::string(frames[2]);
    if (auto s = Number(frames[3], "WELCOME credit", &n); !s.ok()) return s;
    out->credit = static_cast<std::uint32_t>(n);
    out->credit_bytes = 0;
    if (frames.size() == 5) {
      if (auto s = Number(frames[4], "WELCOME credit bytes", &out->credit_bytes); !s.ok()) return s;
    }
    return dip::Status::Ok();
  }
  if (type == "ACK") {
    out->type = HubMessage::Type::kAck;
    if (auto s = Count(frames, 4, type); !s.ok()) return s;
    if (auto s = Number(frames[1], "ACK seq", &out->seq); !s.ok()) return s;
    if (auto s = Number(frames[2], "ACK status", &n); !s.ok()) return s;
    out->status = static_cast<int>(n);
    out->body = frames[3];
    return dip::Status::Ok();
  }
  if (type == "DELIVER") {
    out->type = HubMessage::Type::kDeliver;
    if (auto s = Count(frames, 4, type); !s.ok()) return s;
    out->seqs.clear();
    std::string_view list = frames[1];
    while (!list.empty()) {
      std::size_t comma = list.find(',');
      if (auto s = Number(list.substr(0, comma), "DELIVER seqs", &n); !s.ok()) return s;
      if (!out->seqs.empty() && n <= out->seqs.back()) return Bad("DELIVER seqs: not ascending");
      out->seqs.push_back(n);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
    if (out->seqs.empty()) return Bad("DELIVER seqs: empty");
    if (frames[2] != "0" && frames[2] != "1") return Bad("DELIVER replay: expected 0 or 1");
    out->replay = frames[2] == "1";
    out->body = frames[3];
    return dip::Status::Ok();
  }
  if (type == "ERROR") {
    out->type = HubMessage::Type::kError;
    if (auto s = Count(frames, 3, type); !s.ok()) return s;
    if (auto s = Number(frames[1], "ERROR status", &n); !s.ok()) return s;
    out->status = static_cast<int>(n);
    out->body = frames[2];
    return dip::Status::Ok();
  }
  return Bad("message type: unknown \"" + std::string(type.substr(0, 16)) + "\"");
}

std::vector<std::string> EncodeHello(bool receive, std::uint64_t last_acked) {
  return {"HELLO", std::string(kProtocolVersion), receive ? "1" : "0", std::to_string(last_acked)};
}

std::vector<std::string> EncodeSend(std::uint64_t seq, std::string_view channel,
                                    std::string_view body) {
  return {"SEND", std::to_string(seq), std::string(channel), std::string(body)};
}

std::vector<std::string> EncodeClientAck(std::uint64_t seq) { return {"ACK", std::to_string(seq)}; }

std::vector<std::string> EncodeWelcome(std::string_view dip_id, std::uint32_t credit,
                                       std::uint64_t credit_bytes, int version) {
  if (version == 1) {
    return {"WELCOME", std::string(kProtocolVersion1), std::string(dip_id), std::to_string(credit)};
  }
  return {"WELCOME", std::string(kProtocolVersion), std::string(dip_id), std::to_string(credit),
          std::to_string(credit_bytes)};
}

std::vector<std::string> EncodeAckHead(std::uint64_t seq, int status) {
  return {"ACK", std::to_string(seq), std::to_string(status)};
}

std::vector<std::string> EncodeAck(std::uint64_t seq, int status, std::string_view response) {
  std::vector<std::string> frames = EncodeAckHead(seq, status);
  frames.emplace_back(response);
  return frames;
}

std::vector<std::string> EncodeDeliverHead(const std::vector<std::uint64_t>& seqs, bool replay) {
  std::string list;
  list.reserve(seqs.size() * 8);
  for (std::uint64_t s : seqs) {
    if (!list.empty()) list.push_back(',');
    list += std::to_string(s);
  }
  return {"DELIVER", std::move(list), replay ? "1" : "0"};
}

std::vector<std::string> EncodeDeliver(const std::vector<std::uint64_t>& seqs, bool replay,
                                       std::string_view body) {
  std::vector<std::string> frames = EncodeDeliverHead(seqs, replay);
  frames.emplace_back(body);
  return frames;
}

std::vector<std::string> EncodeError(int status, std::string_view text) {
  return {"ERROR", std::to_string(status), std::string(text)};
}

}  // namespace diphub::adapters::zmq
