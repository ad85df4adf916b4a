// The zmq adapter on the real diphub process (docs/zmq-protocol.md): sends acknowledged after
// the durable commit, deliveries pushed with cumulative acks, resume after a disconnect without
// loss or gap, CURVE keys bound to DIP IDs, the HTTP path's MSG codes, and credit withheld
// under overload with nothing lost.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>
#include <zmq_addon.hpp>

#include "adapters/zmq/client.h"
#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;
using adapters::zmq::Client;
using adapters::zmq::ClientOptions;
using adapters::zmq::Delivered;
using adapters::zmq::SendAck;

struct Keys {
  std::string pub, sec;
};

Keys NewKeys() {
  auto [pub, sec] = adapters::zmq::CurveKeyPair();
  return {pub, sec};
}

// A senderUniqueReference of the demo SDS that the spec's pattern accepts, ending in `tail`
// (letters and digits).
std::string SdsRef(const std::string& tail) { return "S-IF-061-1100000001-SDS-20261122-" + tail; }

std::string Reference(const std::string& message) {
  static const std::regex re("\"senderUniqueReference\":\"([^\"]+)\"");
  std::smatch m;
  return std::regex_search(message, m, re) ? m[1].str() : "";
}

std::size_t RssBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // kB
  }
  return 0;
}

std::string MsgCode(const std::string& body) {
  static const std::regex re("MSG[0-9]{4}");
  std::smatch m;
  return std::regex_search(body, m, re) ? m[0].str() : "";
}

// A hub with the zmq adapter; the SDS sends over zmq, the MDR takes deliveries over zmq.
class Zmq : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(dir_, "",
                                        "adapters: [http, zmq]\n"
                                        "zmq:\n  listen: tcp://127.0.0.1:0\n  secret_key: \"" +
                                            hub_keys_.sec + "\"\n  delivery_timeout_ms: 2000\n");
    ASSERT_TRUE(
        hub_->EditConfig("api_key: demo-sds-key}",
                         "api_key: demo-sds-key, zmq_public_key: \"" + sds_keys_.pub + "\"}"));
    ASSERT_TRUE(hub_->EditConfig("api_key: demo-mdr-key\n",
                                 "api_key: demo-mdr-key\n    adapter: zmq\n    zmq_public_key: \"" +
                                     mdr_keys_.pub + "\"\n"));
  }

  void Start() {
    std::string error;
    ASSERT_TRUE(hub_->Start(&error)) << error;
    ASSERT_FALSE(hub_->zmq_endpoint().empty()) << hub_->Log();
  }

  ClientOptions Options(const Keys& keys, bool receive) const {
    ClientOptions o;
    o.endpoint = hub_->zmq_endpoint();
    o.server_public_key = hub_keys_.pub;
    o.public_key = keys.pub;
    o.secret_key = keys.sec;
    o.receive = receive;
    return o;
  }

  std::unique_ptr<Client> Connect(const Keys& keys, bool receive) {
    auto c = Client::Connect(Options(keys, receive));
    EXPECT_TRUE(c.ok()) << c.status().ToString() << "\n" << hub_->Log();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  // Sends `n` IF-061 starts with references SdsRef(prefix0) .. SdsRef(prefix<n-1>); returns
  // the acks.
  std::vector<SendAck> SendStarts(Client& sds, const std::string& prefix, int n) {
    std::vector<SendAck> acks;
    sds.on_ack = [&acks](const SendAck& a) { acks.push_back(a); };
    for (int i = 0; i < n; ++i) {
      auto seq = sds.Send("IF-061", MdrStart(SdsRef(prefix + std::to_string(i))));
      EXPECT_TRUE(seq.ok()) << seq.status().ToString();
    }
    dip::Status s = sds.Flush(60s);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return acks;
  }

  // Polls `mdr` until `n` messages arrived in `*got` or `timeout`.
  void Receive(Client& mdr, std::vector<Delivered>* got, std::size_t n,
               std::chrono::milliseconds timeout) {
    mdr.on_delivery = [got](const std::vector<Delivered>& batch) {
      got->insert(got->end(), batch.begin(), batch.end());
    };
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got->size() < n && std::chrono::steady_clock::now() < deadline) {
      dip::Status s = mdr.Poll(100ms);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }

  TempDir dir_;
  Keys hub_keys_ = NewKeys(), sds_keys_ = NewKeys(), mdr_keys_ = NewKeys();
  std::unique_ptr<HubProcess> hub_;
};

TEST_F(Zmq, SendIsAcknowledged201AfterTheDurableCommit) {
  Start();
  auto sds = Connect(sds_keys_, false);
  ASSERT_TRUE(sds);
  EXPECT_EQ(sds->dip_id(), "1100000001");
  EXPECT_GT(sds->credit(), 0u);
  std::vector<SendAck> acks = SendStarts(*sds, "durable", 5);
  ASSERT_EQ(acks.size(), 5u);
  for (const SendAck& a : acks) {
    EXPECT_EQ(a.status, 201) << a.response;
    EXPECT_NE(a.response.find("transactionID"), std::string::npos) << a.response;
  }
  // Acknowledged means durable: a crash right after loses none of them.
  sds.reset();
  hub_->Kill();
  Start();
  auto mdr = Connect(mdr_keys_, true);
  ASSERT_TRUE(mdr);
  std::vector<Delivered> got;
  Receive(*mdr, &got, 5, 20s);
  std::set<std::string> refs;
  for (const Delivered& d : got) refs.insert(Reference(d.message));
  EXPECT_EQ(refs, (std::set<std::string>{SdsRef("durable0"), SdsRef("durable1"), SdsRef("durable2"),
                                         SdsRef("durable3"), SdsRef("durable4")}));
}

TEST_F(Zmq, DeliversToTheConnectedRecipientWithCumulativeAcks) {
  ASSERT_TRUE(hub_->EditConfig("delivery:\n", "delivery:\n  max_messages_per_post: 25\n"));
  Start();
  auto mdr = Connect(mdr_keys_, true);
  auto sds = Connect(sds_keys_, false);
  ASSERT_TRUE(mdr && sds);
  std::vector<SendAck> acks = SendStarts(*sds, "push", 200);
  ASSERT_EQ(acks.size(), 200u);
  for (const SendAck& a : acks) ASSERT_EQ(a.status, 201) << a.response;
  std::vector<Delivered> got;
  Receive(*mdr, &got, 200, 20s);
  ASSERT_EQ(got.size(), 200u);
  std::set<std::string> refs;
  for (std::size_t i = 0; i < got.size(); ++i) {
    refs.insert(Reference(got[i].message));
    EXPECT_NE(got[i].message.find("\"publicationID\":\"PUB-061\""), std::string::npos);
    if (i > 0) {
      EXPECT_GT(got[i].seq, got[i - 1].seq);
    }
  }
  EXPECT_EQ(refs.size(), 200u);
  // Each batch was acknowledged once: nothing was retried.
  EXPECT_EQ(hub_->Log().find("attempt 1 failed"), std::string::npos);
}

// The hub's libzmq threads that are named ZMQbg/IO/<n> (the threads that encrypt and move bytes).
std::size_t ZmqIoThreads(pid_t pid) {
  std::size_t n = 0;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name.rfind("ZMQbg/IO/", 0) == 0) ++n;
  }
  return n;
}

// zmq.io_threads: 2 puts the connections on two libzmq I/O threads (two cores can encrypt);
// sends from several connections, bodies handed over with SendOwned, are all stored and
// delivered once.
TEST_F(Zmq, TwoIoThreadsServeSeveralConnections) {
  ASSERT_TRUE(hub_->EditConfig("  delivery_timeout_ms: 2000\n",
                               "  delivery_timeout_ms: 2000\n  io_threads: 2\n"));
  Start();
  EXPECT_EQ(ZmqIoThreads(hub_->pid()), 2u);
  auto mdr = Connect(mdr_keys_, true);
  ASSERT_TRUE(mdr);
  constexpr int kConnections = 3, kEach = 40;
  std::vector<std::unique_ptr<Client>> senders;
  std::vector<std::vector<SendAck>> acks(kConnections);
  for (int c = 0; c < kConnections; ++c) {
    senders.push_back(Connect(sds_keys_, false));
    ASSERT_TRUE(senders.back());
    senders.back()->on_ack = [&acks, c](const SendAck& a) { acks[c].push_back(a); };
  }
  for (int i = 0; i < kEach; ++i) {
    for (int c = 0; c < kConnections; ++c) {
      auto seq = senders[c]->SendOwned(
          "IF-061", MdrStart(SdsRef("io" + std::to_string(c) + "x" + std::to_string(i))));
      ASSERT_TRUE(seq.ok()) << seq.status().ToString();
    }
  }
  for (int c = 0; c < kConnections; ++c) {
    dip::Status s = senders[c]->Flush(60s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(acks[c].size(), static_cast<std::size_t>(kEach));
    for (const SendAck& a : acks[c]) EXPECT_EQ(a.status, 201) << a.response;
  }
  std::vector<Delivered> got;
  Receive(*mdr, &got, kConnections * kEach, 30s);
  std::set<std::string> refs;
  for (const Delivered& d : got) refs.insert(Reference(d.message));
  EXPECT_EQ(got.size(), static_cast<std::size_t>(kConnections * kEach));
  EXPECT_EQ(refs.size(), static_cast<std::size_t>(kConnections * kEach)) << "each exactly once";
}

TEST_F(Zmq, ReconnectAfterAMidStreamDisconnectLosesNothingAndSeesNoGap) {
  ASSERT_TRUE(hub_->EditConfig("delivery:\n", "delivery:\n  max_messages_per_post: 10\n"));
  Start();
  auto sds = Connect(sds_keys_, false);
  ASSERT_TRUE(sds);
  constexpr int kCount = 120;
  std::vector<SendAck> acks = SendStarts(*sds, "resume", kCount);
  ASSERT_EQ(acks.size(), static_cast<std::size_t>(kCount));

  // The first receiver processes (and acknowledges) one batch, takes a second without
  // acknowledging it, and drops off.
  ClientOptions first_options = Options(mdr_keys_, true);
  first_options.auto_ack = false;
  auto first = Client::Connect(first_options);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  std::vector<std::vector<Delivered>> batches;
  first.value()->on_delivery = [&batches](const std::vector<Delivered>& b) {
    batches.push_back(b);
  };
  for (int i = 0; i < 100 && batches.size() < 1; ++i) ASSERT_TRUE(first.value()->Poll(100ms).ok());
  ASSERT_EQ(batches.size(), 1u);
  std::vector<Delivered> processed = batches[0];
  const std::uint64_t acked = processed.back().seq;
  first.value()->Ack(acked);
  for (int i = 0; i < 100 && batches.size() < 2; ++i) ASSERT_TRUE(first.value()->Poll(100ms).ok());
  ASSERT_EQ(batches.size(), 2u) << "the second batch did not come";
  first.value().reset();  // disconnects with the second batch unacknowledged

  // The second receiver resumes from the last acknowledged seq.
  ClientOptions second_options = Options(mdr_keys_, true);
  second_options.last_acked = acked;
  auto second = Client::Connect(second_options);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  std::vector<Delivered> rest;
  Receive(*second.value(), &rest, kCount - processed.size(), 30s);
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.front().seq, batches[1].front().seq) << "resumed at the unacknowledged batch";

  std::vector<Delivered> all = processed;
  all.insert(all.end(), rest.begin(), rest.end());
  std::vector<std::string> expected, seen;
  for (int i = 0; i < kCount; ++i) expected.push_back(SdsRef("resume" + std::to_string(i)));
  for (std::size_t i = 0; i < all.size(); ++i) {
    seen.push_back(Reference(all[i].message));
    if (i > 0) {
      EXPECT_GT(all[i].seq, all[i - 1].seq) << "seq went back at " << i;
    }
  }
  std::vector<std::string> sorted_seen = seen;
  std::sort(sorted_seen.begin(), sorted_seen.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(sorted_seen, expected) << "every message exactly once";
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kCount));
}

TEST_F(Zmq, AWrongCurveKeyIsRefused) {
  Start();
  Keys stranger = NewKeys();  // a valid key pair the hub does not know
  ClientOptions o = Options(stranger, false);
  o.connect_timeout = 3s;
  auto c = Client::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().help().find("refused"), std::string::npos) << c.status().ToString();
  EXPECT_NE(hub_->Log().find("belongs to no participant"), std::string::npos);
  // A registered key still gets in.
  EXPECT_TRUE(Connect(sds_keys_, false));
}

// A version-1 client, written here frame by frame as an old client library would: it says
// HELLO 1, must get the four-frame WELCOME it knows, and its sends and deliveries work as before.
TEST_F(Zmq, AVersionOneClientIsServedTheProtocolItKnows) {
  Start();
  ::zmq::context_t context;
  auto connect = [&](const Keys& keys, const char* receive) {
    ::zmq::socket_t s(context, ::zmq::socket_type::dealer);
    s.set(::zmq::sockopt::curve_serverkey, hub_keys_.pub);
    s.set(::zmq::sockopt::curve_publickey, keys.pub);
    s.set(::zmq::sockopt::curve_secretkey, keys.sec);
    s.set(::zmq::sockopt::linger, 0);
    s.set(::zmq::sockopt::rcvtimeo, 10000);
    s.connect(hub_->zmq_endpoint());
    std::vector<std::string> hello{"HELLO", "1", receive, "0"};
    for (std::size_t i = 0; i < hello.size(); ++i) {
      s.send(::zmq::buffer(hello[i]),
             i + 1 < hello.size() ? ::zmq::send_flags::sndmore : ::zmq::send_flags::none);
    }
    return s;
  };
  auto receive = [](::zmq::socket_t& s) {
    std::vector<::zmq::message_t> frames;
    EXPECT_TRUE(::zmq::recv_multipart(s, std::back_inserter(frames)));
    std::vector<std::string> out;
    for (const auto& f : frames) out.emplace_back(f.to_string());
    return out;
  };
  ::zmq::socket_t mdr = connect(mdr_keys_, "1");
  ::zmq::socket_t sds = connect(sds_keys_, "0");
  const std::vector<std::string> welcome = receive(sds);
  ASSERT_EQ(welcome.size(), 4u) << "a version-1 client knows no fifth frame";
  EXPECT_EQ(welcome[0], "WELCOME");
  EXPECT_EQ(welcome[1], "1");
  EXPECT_EQ(welcome[2], "1100000001");
  EXPECT_EQ(receive(mdr).size(), 4u);

  const std::string body = MdrStart(SdsRef("v1a"));
  const std::vector<std::string> send{"SEND", "1", "IF-061", body};
  for (std::size_t i = 0; i < send.size(); ++i) {
    sds.send(::zmq::buffer(send[i]),
             i + 1 < send.size() ? ::zmq::send_flags::sndmore : ::zmq::send_flags::none);
  }
  const std::vector<std::string> ack = receive(sds);
  ASSERT_GE(ack.size(), 3u);
  EXPECT_EQ(ack[0], "ACK");
  EXPECT_EQ(ack[1], "1");
  EXPECT_EQ(ack[2], "201") << (ack.size() > 3 ? ack[3] : "");

  const std::vector<std::string> deliver = receive(mdr);
  ASSERT_EQ(deliver.size(), 4u);
  EXPECT_EQ(deliver[0], "DELIVER");
  EXPECT_NE(deliver[3].find(SdsRef("v1a")), std::string::npos) << deliver[3];
}

// zmq.security: plain (trusted networks only, docs/security.md): a connection logs in with its
// DIP ID and that participant's API key; anything else is refused, and CURVE clients are not
// let in without it. The default stays CURVE: a PLAIN login is refused there.
TEST_F(Zmq, PlainSecurityAdmitsADipIdWithItsOwnApiKeyOnly) {
  ASSERT_TRUE(hub_->EditConfig("zmq:\n", "zmq:\n  security: plain\n"));
  Start();
  auto plain = [this](const std::string& dip_id, const std::string& api_key) {
    ClientOptions o;
    o.endpoint = hub_->zmq_endpoint();
    o.plain = true;
    o.dip_id = dip_id;
    o.api_key = api_key;
    o.connect_timeout = 3s;
    return Client::Connect(o);
  };
  auto sds = plain("1100000001", "demo-sds-key");
  ASSERT_TRUE(sds.ok()) << sds.status().ToString() << "\n" << hub_->Log();
  EXPECT_EQ(sds.value()->dip_id(), "1100000001");
  std::vector<SendAck> acks = SendStarts(*sds.value(), "plain", 3);
  ASSERT_EQ(acks.size(), 3u);
  for (const SendAck& a : acks) EXPECT_EQ(a.status, 201) << a.response;
  EXPECT_NE(hub_->Log().find("security PLAIN"), std::string::npos) << "start-up warns";

  // Another participant's API key, an unknown one, and a CURVE client are all refused.
  for (const auto& [id, key] : std::vector<std::pair<std::string, std::string>>{
           {"1100000001", "demo-mdr-key"}, {"1100000001", "not-a-key"}}) {
    auto refused = plain(id, key);
    ASSERT_FALSE(refused.ok()) << key;
    EXPECT_NE(refused.status().help().find("refused"), std::string::npos)
        << refused.status().ToString();
  }
  ClientOptions curve = Options(sds_keys_, false);
  curve.connect_timeout = 3s;
  EXPECT_FALSE(Client::Connect(curve).ok());
}

TEST_F(Zmq, PlainLoginIsRefusedUnderTheDefaultCurve) {
  Start();
  ClientOptions o;
  o.endpoint = hub_->zmq_endpoint();
  o.plain = true;
  o.dip_id = "1100000001";
  o.api_key = "demo-sds-key";
  o.connect_timeout = 3s;
  EXPECT_FALSE(Client::Connect(o).ok());
  EXPECT_TRUE(Connect(sds_keys_, false));
}

TEST_F(Zmq, BadJsonGetsTheSameMsgCodeAsOverHttp) {
  Start();
  auto sds = Connect(sds_keys_, false);
  ASSERT_TRUE(sds);
  for (const std::string& body :
       {std::string("[{\"payload\": "), std::string("{}"),
        MdrStart(SdsRef("badenv")).replace(MdrStart(SdsRef("x")).find("DEV"), 3, "XYZ")}) {
    std::vector<SendAck> acks;
    sds->on_ack = [&acks](const SendAck& a) { acks.push_back(a); };
    ASSERT_TRUE(sds->Send("IF-061", body).ok());
    ASSERT_TRUE(sds->Flush(10s).ok());
    ASSERT_EQ(acks.size(), 1u);
    HttpResult http = hub_->Send("IF-061", body);
    EXPECT_EQ(acks[0].status, http.status) << body;
    EXPECT_FALSE(MsgCode(http.body).empty()) << http.body;
    EXPECT_EQ(MsgCode(acks[0].response), MsgCode(http.body)) << acks[0].response << "\n"
                                                             << http.body;
  }
}

// The byte window of zmq.credit_bytes reaches the client in WELCOME and bounds the body bytes it
// has unacknowledged; a single send larger than the window still goes, alone.
TEST_F(Zmq, ByteWindowBoundsTheUnacknowledgedBodies) {
  ASSERT_TRUE(hub_->EditConfig("  delivery_timeout_ms: 2000\n",
                               "  delivery_timeout_ms: 2000\n  credit_bytes: 65536\n"));
  Start();
  auto sds = Connect(sds_keys_, false);
  ASSERT_TRUE(sds);
  EXPECT_EQ(sds->credit_bytes(), 65536u);
  std::vector<SendAck> acks;
  sds->on_ack = [&acks](const SendAck& a) { acks.push_back(a); };
  std::uint64_t peak = 0;
  constexpr int kCount = 400;
  for (int i = 0; i < kCount; ++i) {
    auto seq = sds->Send("IF-061", MdrStart(SdsRef("window" + std::to_string(i))));
    ASSERT_TRUE(seq.ok()) << seq.status().ToString();
    peak = std::max(peak, sds->unacked_bytes());
  }
  // One array of 80 messages (about 80 KB), more than the whole window.
  std::string big = "[";
  for (int i = 0; i < 80; ++i) {
    std::string one = MdrStart(SdsRef("big" + std::to_string(i)));
    big += (i ? "," : "") + one.substr(1, one.size() - 2);
  }
  big += "]";
  ASSERT_GT(big.size(), 65536u);
  ASSERT_TRUE(sds->Send("IF-061", big).ok());
  ASSERT_TRUE(sds->Flush(60s).ok());
  EXPECT_GT(peak, 16384u) << "the sends were not pipelined";
  EXPECT_LE(peak, 65536u);
  ASSERT_EQ(acks.size(), static_cast<std::size_t>(kCount + 1));
  for (const SendAck& a : acks) EXPECT_EQ(a.status, 201) << a.response;
}

TEST_F(Zmq, CreditIsWithheldUnderOverloadAndNothingIsLost) {
  ASSERT_TRUE(hub_->EditConfig("  durability: fsync\n",
                               "  durability: fsync\n  max_pending_bytes: 65536\n"));
  ASSERT_TRUE(hub_->EditConfig("  delivery_timeout_ms: 2000\n",
                               "  delivery_timeout_ms: 2000\n  credit: 400\n"));
  Start();
  auto mdr = Connect(mdr_keys_, true);
  auto sds = Connect(sds_keys_, false);
  ASSERT_TRUE(mdr && sds);
  constexpr int kCount = 3000;
  const std::size_t baseline = RssBytes(hub_->pid());
  std::atomic<std::size_t> peak{baseline};
  std::atomic<bool> sending{true};
  std::thread monitor([&] {
    while (sending) {
      peak = std::max(peak.load(), RssBytes(hub_->pid()));
      std::this_thread::sleep_for(20ms);
    }
  });
  std::vector<SendAck> acks = SendStarts(*sds, "load", kCount);
  sending = false;
  monitor.join();
  // Held-back sends are bounded by the credit (400 x 1.3 KB): memory stays near its baseline.
  EXPECT_LT(peak.load(), baseline + MemoryBound(150u << 20))
      << "baseline " << baseline << ", peak " << peak.load();
  ASSERT_EQ(acks.size(), static_cast<std::size_t>(kCount));
  std::map<int, int> statuses;
  for (const SendAck& a : acks) ++statuses[a.status];
  EXPECT_EQ(statuses, (std::map<int, int>{{201, kCount}})) << "the client saw no 429";
  // The load did exceed storage.max_pending_bytes: the hub held sends back rather than fail them.
  EXPECT_TRUE(hub_->WaitForMetric("diphub_sends_overloaded_total ", 1s));
  HttpResult metrics = HttpRequest("127.0.0.1", hub_->metrics_port(), "GET", "/metrics");
  std::smatch overloads;
  ASSERT_TRUE(std::regex_search(metrics.body, overloads,
                                std::regex("\ndiphub_sends_overloaded_total ([0-9.e+]+)")));
  EXPECT_GT(std::stod(overloads[1].str()), 0) << "the load never exceeded max_pending_bytes";
  std::printf("sends answered 429 inside the hub and submitted again: %s\n",
              overloads[1].str().c_str());
  std::vector<Delivered> got;
  Receive(*mdr, &got, kCount, 60s);
  std::set<std::string> refs;
  for (const Delivered& d : got) refs.insert(Reference(d.message));
  EXPECT_EQ(refs.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(got.size(), static_cast<std::size_t>(kCount));
}

}  // namespace
}  // namespace diphub::testing
