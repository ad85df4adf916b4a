// The zmq adapter's frame parsers (adapters/zmq/frames.h) on arbitrary frames: never a crash,
// and a parsed message re-encodes to frames that parse to the same message.
// Input: the first byte picks the parser (even: client, odd: hub); the rest is split into frames
// at each 0x00 byte.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "adapters/zmq/frames.h"

using diphub::adapters::zmq::ClientMessage;
using diphub::adapters::zmq::HubMessage;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool client = (data[0] & 1) == 0;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string_view> frames;
  while (true) {
    std::size_t zero = rest.find('\0');
    frames.push_back(rest.substr(0, zero));
    if (zero == std::string_view::npos) break;
    rest.remove_prefix(zero + 1);
  }
  if (client) {
    ClientMessage m;
    if (!diphub::adapters::zmq::ParseClientMessage(frames, &m).ok()) return 0;
    std::vector<std::string> again;
    switch (m.type) {
      case ClientMessage::Type::kHello:
        again = diphub::adapters::zmq::EncodeHello(m.receive, m.last_acked);
        break;
      case ClientMessage::Type::kSend:
        again = diphub::adapters::zmq::EncodeSend(m.seq, m.channel, m.body);
        break;
      case ClientMessage::Type::kAck:
        again = diphub::adapters::zmq::EncodeClientAck(m.seq);
        break;
    }
    std::vector<std::string_view> views(again.begin(), again.end());
    ClientMessage m2;
    if (!diphub::adapters::zmq::ParseClientMessage(views, &m2).ok()) std::abort();
    if (m2.type != m.type || m2.seq != m.seq || m2.last_acked != m.last_acked ||
        m2.body != m.body) {
      std::abort();
    }
  } else {
    HubMessage m;
    (void)diphub::adapters::zmq::ParseHubMessage(frames, &m);
  }
  return 0;
}
