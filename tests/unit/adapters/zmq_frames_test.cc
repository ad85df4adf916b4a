// The zmq protocol's frame codec (adapters/zmq/frames.h) and the adapter's configuration.
#include <gtest/gtest.h>

#include "adapters/zmq/client.h"
#include "adapters/zmq/config.h"
#include "adapters/zmq/frames.h"

namespace diphub::adapters::zmq {
namespace {

std::vector<std::string_view> Views(const std::vector<std::string>& frames) {
  return {frames.begin(), frames.end()};
}

TEST(ZmqFrames, ClientMessagesRoundTrip) {
  ClientMessage m;
  auto hello = EncodeHello(true, 42);
  ASSERT_TRUE(ParseClientMessage(Views(hello), &m).ok());
  EXPECT_EQ(m.type, ClientMessage::Type::kHello);
  EXPECT_TRUE(m.receive);
  EXPECT_EQ(m.last_acked, 42u);

  auto send = EncodeSend(7, "IF-061", "[{}]");
  ASSERT_TRUE(ParseClientMessage(Views(send), &m).ok());
  EXPECT_EQ(m.type, ClientMessage::Type::kSend);
  EXPECT_EQ(m.seq, 7u);
  EXPECT_EQ(m.channel, "IF-061");
  EXPECT_EQ(m.body, "[{}]");

  auto ack = EncodeClientAck(99);
  ASSERT_TRUE(ParseClientMessage(Views(ack), &m).ok());
  EXPECT_EQ(m.type, ClientMessage::Type::kAck);
  EXPECT_EQ(m.seq, 99u);
}

TEST(ZmqFrames, MalformedClientMessagesNameTheFrame) {
  ClientMessage m;
  struct Case {
    std::vector<std::string> frames;
    std::string expect;
  };
  for (const Case& c : std::vector<Case>{
           {{}, "no frames"},
           {{"PING"}, "expected HELLO, SEND or ACK"},
           {{"HELLO", "3", "0", "0"}, "HELLO version"},
           {{"HELLO", "1", "yes", "0"}, "HELLO receive"},
           {{"HELLO", "1", "0", "-1"}, "HELLO last-acked"},
           {{"SEND", "x", "IF-061", "[]"}, "SEND seq"},
           {{"SEND", "1", "", "[]"}, "SEND channel"},
           {{"SEND", "1", "IF-061"}, "SEND: expected 4 frames, got 3"},
           {{"ACK", "99999999999999999999999"}, "ACK seq"},
       }) {
    dip::Status s = ParseClientMessage(Views(c.frames), &m);
    ASSERT_FALSE(s.ok()) << c.expect;
    EXPECT_EQ(s.code(), "MSG1001");
    EXPECT_NE(s.help().find(c.expect), std::string::npos) << s.help();
  }
}

// A client written for version 1 (before the byte window) still connects: its HELLO is taken
// and its WELCOME has the four frames it expects, without the byte window.
TEST(ZmqFrames, VersionOneClientsGetTheWelcomeTheyKnow) {
  ClientMessage c;
  ASSERT_TRUE(ParseClientMessage({"HELLO", "1", "1", "5"}, &c).ok());
  EXPECT_EQ(c.version, 1);
  ASSERT_TRUE(ParseClientMessage(Views(EncodeHello(false, 0)), &c).ok());
  EXPECT_EQ(c.version, 2);
  const auto v1 = EncodeWelcome("1200000001", 500, 1u << 20, 1);
  EXPECT_EQ(v1, (std::vector<std::string>{"WELCOME", "1", "1200000001", "500"}));
  EXPECT_EQ(EncodeWelcome("1200000001", 500, 1u << 20, 2).size(), 5u);
}

TEST(ZmqFrames, HubMessagesRoundTrip) {
  HubMessage m;
  ASSERT_TRUE(ParseHubMessage(Views(EncodeWelcome("1200000001", 500, 1u << 20, 2)), &m).ok());
  EXPECT_EQ(m.type, HubMessage::Type::kWelcome);
  EXPECT_EQ(m.dip_id, "1200000001");
  EXPECT_EQ(m.credit, 500u);
  EXPECT_EQ(m.credit_bytes, 1u << 20);
  // A version-1 hub sends four frames: no byte limit.
  ASSERT_TRUE(ParseHubMessage({"WELCOME", "1", "1200000001", "7"}, &m).ok());
  EXPECT_EQ(m.credit, 7u);
  EXPECT_EQ(m.credit_bytes, 0u);
  // Each version has its number of frames.
  EXPECT_FALSE(ParseHubMessage({"WELCOME", "2", "1200000001", "7"}, &m).ok());
  EXPECT_FALSE(ParseHubMessage({"WELCOME", "1", "1200000001", "7", "9"}, &m).ok());
  ASSERT_TRUE(ParseHubMessage(Views(EncodeAck(3, 201, "{}")), &m).ok());
  EXPECT_EQ(m.type, HubMessage::Type::kAck);
  EXPECT_EQ(m.seq, 3u);
  EXPECT_EQ(m.status, 201);
  const std::vector<std::string> deliver = EncodeDeliver({4, 9, 12}, true, "[1,2,3]");
  ASSERT_TRUE(ParseHubMessage(Views(deliver), &m).ok());  // m.body views `deliver`
  EXPECT_EQ(m.type, HubMessage::Type::kDeliver);
  EXPECT_EQ(m.seqs, (std::vector<std::uint64_t>{4, 9, 12}));
  EXPECT_TRUE(m.replay);
  EXPECT_EQ(m.body, "[1,2,3]");
  EXPECT_FALSE(ParseHubMessage(Views({"DELIVER", "5,4", "0", "[]"}), &m).ok());
}

TEST(ZmqConfig, NeedsAValidSecretKeyAndChecksLimits) {
  auto [pub, sec] = CurveKeyPair();
  EXPECT_EQ(CurvePublicKey(sec), pub);
  EXPECT_FALSE(ParseZmqAdapterConfig(YAML::Node()).ok());
  auto missing = ParseZmqAdapterConfig(YAML::Load("listen: tcp://127.0.0.1:0"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().help().find("zmq.secret_key: required"), std::string::npos);
  EXPECT_FALSE(ParseZmqAdapterConfig(YAML::Load("secret_key: short")).ok());
  auto ok = ParseZmqAdapterConfig(YAML::Load("secret_key: \"" + sec + "\"\ncredit: 10"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok.value().credit, 10u);
  EXPECT_FALSE(ParseZmqAdapterConfig(YAML::Load("secret_key: \"" + sec + "\"\ncredit: 0")).ok());
  EXPECT_EQ(ok.value().credit_bytes, 2u << 20);
  EXPECT_FALSE(
      ParseZmqAdapterConfig(YAML::Load("secret_key: \"" + sec + "\"\ncredit_bytes: 100")).ok());
  EXPECT_FALSE(ParseZmqAdapterConfig(YAML::Load("secret_key: \"" + sec + "\"\nport: 1")).ok());
  EXPECT_EQ(ok.value().io_threads, 0u);  // one per core
  auto io = ParseZmqAdapterConfig(YAML::Load("secret_key: \"" + sec + "\"\nio_threads: 3"));
  ASSERT_TRUE(io.ok()) << io.status().ToString();
  EXPECT_EQ(io.value().io_threads, 3u);
  auto too_many = ParseZmqAdapterConfig(YAML::Load("secret_key: \"" + sec + "\"\nio_threads: 65"));
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().help().find("zmq.io_threads"), std::string::npos);
}

TEST(ZmqConfig, SecurityIsCurveUnlessPlainIsAskedFor) {
  auto [pub, sec] = CurveKeyPair();
  auto curve = ParseZmqAdapterConfig(YAML::Load("secret_key: \"" + sec + "\""));
  ASSERT_TRUE(curve.ok());
  EXPECT_EQ(curve.value().security, ZmqSecurity::kCurve);
  // Plain needs no CURVE key; anything but curve or plain is refused by name.
  auto plain = ParseZmqAdapterConfig(YAML::Load("security: plain"));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain.value().security, ZmqSecurity::kPlain);
  auto other = ParseZmqAdapterConfig(YAML::Load("security: null_mechanism"));
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().help().find("zmq.security"), std::string::npos);
  EXPECT_FALSE(ParseZmqAdapterConfig(YAML::Load("security: curve")).ok()) << "curve needs a key";
}

}  // namespace
}  // namespace diphub::adapters::zmq
