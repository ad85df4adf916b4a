// `diphub scenario` end to end over HTTP and over ZeroMQ (issue #6): the real binary runs the
// BP017 example (deploy/examples/bp017-scenario.yaml on deploy/examples/harness.yaml) with a
// simulated MDR and Registration Service, and this test plays the SDS under test. Over HTTP: a
// real webhook receiver that checks the hub's signatures, and signed HTTP sends to the hub's DIP
// API. Over ZeroMQ: the SDS is `adapter: zmq` with a CURVE key and uses the zmq client
// (adapters/zmq/client.h) for its deliveries and its sends.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <deque>
#include <thread>

#include "adapters/zmq/client.h"
#include "dip/dip_time.h"
#include "dip/json_writer.h"
#include "dip/signature.h"
#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSds = "1100000001";
constexpr const char* kMdr = "1200000001";
constexpr const char* kMpan = "2000056535971";
constexpr const char* kKey = "sds-under-test-key";
const std::map<std::string, std::string> kAdmin{{"Authorization", "Bearer harness-admin-token"}};

// How the SDS under test behaves.
enum class Sds { kCorrect, kWrongMpan, kSilent };
// How it talks to the hub.
enum class Transport { kHttp, kZmq };

// A BP017 message from the SDS under test.
std::string SdsMessage(const std::string& iface, const std::string& event, const std::string& ref,
                       const std::string& mpan, const std::string& custom) {
  return R"([{"payload":{"CommonBlock":{
  "S0":{"interfaceID":")" +
         iface + R"(","schemaVersion":"011","eventCode":")" + event + R"("},
  "S1":{"environmentTag":"DEV","subText":null,"senderUniqueReference":")" +
         ref + R"(","senderTimestamp":")" + dip::FormatDipTimestamp(dip::Clock::now()) +
         R"(","senderDIPID":"1100000001","senderRoleID":"SDS","senderCorrelationID":null,
        "DIPConnectionProviderID":null},
  "A0":{"primaryRecipients":["1200000001"],"secondaryRecipients":[],"always":[]},
  "M0":{"MPANCore":")" +
         mpan + R"(","distributorDIPID":"1900000001","GSPGroupID":"_K"}},
 "CustomBlock":)" +
         custom + "}}]";
}

const std::string kExample =
    std::string(DIPHUB_SOURCE_DIR) + "/deploy/examples/bp017-scenario.yaml";

std::string Today() { return dip::FormatDipTimestamp(dip::Clock::now()).substr(0, 10); }

class ScenarioRun : public ::testing::Test {
 protected:
  // Runs `diphub scenario` on `scenario_file` with this test as the SDS; returns its exit code.
  int Run(const std::string& scenario_file, Sds behaviour) {
    behaviour_ = behaviour;
    const std::string ready = dir_.File("ready");
    std::vector<std::string> args = {"scenario",     scenario_file, "--http-listen",
                                     "127.0.0.1:0",  "--data-dir",  dir_.File("data"),
                                     "--ready-file", ready};
    if (transport_ == Transport::kHttp) {
      args.push_back("--webhook");
      args.push_back(sink_.Url());
    }
    ChildProcess p(DIPHUB_BINARY, args, dir_.File("scenario.log"));
    EXPECT_TRUE(p.Start());
    std::string endpoints = WaitForFile(ready, 20s);
    EXPECT_FALSE(endpoints.empty()) << ReadFile(dir_.File("scenario.log"));
    std::size_t at = endpoints.find("http=");
    if (at != std::string::npos) {
      std::size_t end = endpoints.find('\n', at);
      std::string addr = endpoints.substr(at, end - at);
      port_ = static_cast<std::uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1)));
      if (transport_ == Transport::kHttp) RegisterCertificate();
    }
    if (at = endpoints.find("zmq="); at != std::string::npos) {
      zmq_endpoint_ = endpoints.substr(at + 4, endpoints.find('\n', at) - at - 4);
    }
    std::atomic<bool> done{false};
    std::thread sds([&] {
      if (transport_ == Transport::kHttp) {
        PlaySds(done);
      } else {
        PlaySdsOverZmq(done);
      }
    });
    std::optional<int> code = p.Wait(90s);
    done = true;
    sds.join();
    report_ = ReadFile(dir_.File("scenario.log"));
    return code.value_or(-1);
  }

  // The example scenario on a copy of the example harness where the SDS under test is
  // `adapter: zmq` with a CURVE key and the hub runs the zmq adapter; returns the scenario file.
  std::string ZmqScenario() {
    transport_ = Transport::kZmq;
    std::string harness =
        ReadFile(std::string(DIPHUB_SOURCE_DIR) + "/deploy/examples/harness.yaml");
    auto replace = [](std::string* text, const std::string& from, const std::string& to) {
      std::size_t at = text->find(from);
      EXPECT_NE(at, std::string::npos) << "the example lacks " << from;
      if (at != std::string::npos) text->replace(at, from.size(), to);
    };
    replace(&harness, "adapters: [http, sim]\n",
            "adapters: [http, sim, zmq]\nzmq:\n  listen: tcp://127.0.0.1:0\n  secret_key: \"" +
                hub_keys_.second + "\"\n");
    replace(&harness, "    adapter: http\n",
            "    adapter: zmq\n    zmq_public_key: \"" + sds_keys_.first + "\"\n");
    std::size_t hooks = harness.find("    webhooks: {\"*\": \"http://127.0.0.1:9000/dip\"}\n");
    if (hooks != std::string::npos) harness.erase(hooks, harness.find('\n', hooks) + 1 - hooks);
    WriteFile(dir_.File("harness-zmq.yaml"), harness);
    std::string scenario = ReadFile(kExample);
    replace(&scenario, "hub_config: harness.yaml", "hub_config: " + dir_.File("harness-zmq.yaml"));
    replace(&scenario, "  webhook: http://127.0.0.1:9000/dip\n", "");
    WriteFile(dir_.File("bp017-zmq.yaml"), scenario);
    return dir_.File("bp017-zmq.yaml");
  }

  // Gives the SDS a certificate, so that its sends can be signed as a real SDS's would be.
  void RegisterCertificate() {
    identity_ = dip::GenerateSelfSigned(kSds).value();
    dip::JsonWriter w;
    w.BeginObject().Key("role").String("SDS").Key("mpid").String("TSDS");
    w.Key("api_key").String(kKey).Key("adapter").String("http");
    w.Key("certificate").String(identity_.cert_pem);
    w.Key("webhooks").BeginObject().Key("*").String(sink_.Url()).EndObject().EndObject();
    HttpResult r = HttpRequest("127.0.0.1", port_, "PUT",
                               std::string("/admin/participants/") + kSds, w.str(), kAdmin);
    EXPECT_EQ(r.status, 200) << r.body;
  }

  HttpResult SendSigned(const std::string& iface, const std::string& body) {
    std::string target = "/dip-channel/" + iface;
    std::string url = "http://127.0.0.1:" + std::to_string(port_) + target;
    auto signer = dip::Signer::FromPem(identity_.key_pem, identity_.cert_pem).value();
    dip::SignatureHeaders h =
        signer->SignRequest("POST", url, body, dip::FormatSignatureDate(dip::Clock::now()));
    return HttpRequest("127.0.0.1", port_, "POST", target, body,
                       {{"Content-Type", "application/json"},
                        {"X-API-Key", kKey},
                        {"X-DIP-Signature-Date", h.date},
                        {"X-DIP-Content-Hash", h.content_hash},
                        {"X-DIP-Signature-Certificate", h.certificate},
                        {"X-DIP-Signature", h.signature}});
  }

  // The SDS under test: reacts to each publication it is delivered.
  void PlaySds(const std::atomic<bool>& done) {
    std::size_t seen = 0;
    int n = 0;
    while (!done) {
      std::vector<adapters::http::SinkDelivery> got = sink_.WaitFor(seen + 1, 100ms);
      for (; seen < got.size(); ++seen) {
        EXPECT_TRUE(got[seen].signature.ok()) << got[seen].signature.ToString();
        simdjson::dom::parser parser;
        simdjson::dom::element doc;
        if (parser.parse(got[seen].body).get(doc) != simdjson::SUCCESS) continue;
        for (simdjson::dom::element m : doc.get_array()) {
          std::string_view pub;
          if (m["payload"]["CommonBlock"]["D0"]["publicationID"].get(pub) != simdjson::SUCCESS) {
            continue;
          }
          ++n;
          publications_.push_back(std::string(pub));
          React(std::string(pub), n);
        }
      }
    }
  }

  // The SDS under test over ZeroMQ: takes its deliveries from the hub's zmq adapter and sends
  // its answers on the same connection.
  void PlaySdsOverZmq(const std::atomic<bool>& done) {
    adapters::zmq::ClientOptions o;
    o.endpoint = zmq_endpoint_;
    o.server_public_key = hub_keys_.first;
    o.public_key = sds_keys_.first;
    o.secret_key = sds_keys_.second;
    o.receive = true;
    auto connected = adapters::zmq::Client::Connect(o);
    ASSERT_TRUE(connected.ok()) << connected.status().ToString();
    zmq_ = std::move(connected).value();
    std::deque<std::string> arrived;
    zmq_->on_delivery = [&arrived](const std::vector<adapters::zmq::Delivered>& batch) {
      for (const adapters::zmq::Delivered& d : batch) arrived.push_back(d.message);
    };
    zmq_->on_ack = [](const adapters::zmq::SendAck& a) { EXPECT_EQ(a.status, 201) << a.response; };
    int n = 0;
    while (!done) {
      // The connection drops when the scenario ends and the hub stops.
      if (!zmq_->Poll(100ms).ok()) break;
      while (!arrived.empty()) {
        std::string message = std::move(arrived.front());
        arrived.pop_front();
        simdjson::dom::parser parser;
        simdjson::dom::element m;
        std::string_view pub;
        if (parser.parse(message).get(m) != simdjson::SUCCESS ||
            m["payload"]["CommonBlock"]["D0"]["publicationID"].get(pub) != simdjson::SUCCESS) {
          continue;
        }
        publications_.push_back(std::string(pub));
        React(std::string(pub), ++n);
      }
    }
    zmq_.reset();
  }

  void React(const std::string& pub, int n) {
    if (behaviour_ == Sds::kSilent) return;
    const std::string date = Today() + "T00:00:00+00:00";
    auto ref = [n](const std::string& iface) {
      return "S-" + iface + "-1100000001-SDS-" + dip::FormatYyyymmdd(dip::Clock::now()) + "-UT" +
             std::to_string(n) + "p" + std::to_string(::getpid());
    };
    std::string iface, body;
    if (pub == "PUB-036") {
      iface = "IF-061";
      std::string mpan = behaviour_ == Sds::kWrongMpan ? "2000000000007" : kMpan;
      body = SdsMessage(iface, "[MDRStart]", ref(iface), mpan,
                        R"({"B019":{"assignedMDRDIPID":"1200000001","assignedMDRMPID":"SMDR",
                            "assignedMDREffectiveFromDate":")" +
                            date + R"("},"B078":{"energyDirection":"I"},
                            "B025":{"energisationStatus":"E",
                              "energisationStatusEffectiveFromDate":")" +
                            date + R"("},"B068":{"consentGranularity":"H",
                              "consentGranularityEffectiveFromDate":")" +
                            date + R"("}})");
    } else if (pub == "PUB-064") {
      iface = "IF-065";
      body = SdsMessage(iface, "[ReadingRemote]", ref(iface), kMpan, "{}");
    } else if (pub == "PUB-065") {
      iface = "IF-063";
      body = SdsMessage(iface, "[MDRStop]", ref(iface), kMpan,
                        R"({"B083":{"assignedMDRDIPID":"1200000001","assignedMDRMPID":"SMDR",
                            "assignedMDREffectiveToDate":")" +
                            date + R"("}})");
    } else {
      return;
    }
    if (transport_ == Transport::kZmq) {
      auto seq = zmq_->Send(iface, body);
      EXPECT_TRUE(seq.ok()) << iface << ": " << seq.status().ToString();
      return;
    }
    HttpResult r = SendSigned(iface, body);
    EXPECT_EQ(r.status, 201) << iface << ": " << r.body;
  }

  TempDir dir_;
  RecordingSink sink_;
  Sds behaviour_ = Sds::kCorrect;
  Transport transport_ = Transport::kHttp;
  std::pair<std::string, std::string> hub_keys_ = adapters::zmq::CurveKeyPair();
  std::pair<std::string, std::string> sds_keys_ = adapters::zmq::CurveKeyPair();
  std::string zmq_endpoint_;
  std::unique_ptr<adapters::zmq::Client> zmq_;
  std::uint16_t port_ = 0;
  dip::KeyAndCertificate identity_;
  std::vector<std::string> publications_;  // as delivered to the SDS, in order
  std::string report_;
};

TEST_F(ScenarioRun, Bp017PassesWithACorrectSds) {
  int code = Run(kExample, Sds::kCorrect);
  EXPECT_EQ(code, 0) << report_;
  for (int step = 1; step <= 7; ++step) {
    EXPECT_NE(report_.find("[" + std::to_string(step) + "/7] "), std::string::npos) << report_;
  }
  EXPECT_EQ(report_.find("FAIL"), std::string::npos) << report_;
  EXPECT_NE(report_.find("RESULT: PASS — 7 of 7 steps passed"), std::string::npos) << report_;
  // The codes and the counterparts are named.
  EXPECT_NE(report_.find("1200000001 sent IF-062 [MDRStartResponse]"), std::string::npos)
      << report_;
  EXPECT_NE(report_.find("R0.responseCode A; hub answered MSG0000; delivered to 1100000001"),
            std::string::npos)
      << report_;
  EXPECT_NE(report_.find("1100000001 sent IF-063 [MDRStop]"), std::string::npos) << report_;
  // What the SDS was delivered, in BP017 order.
  EXPECT_EQ(publications_, (std::vector<std::string>{"PUB-036", "PUB-062", "PUB-064", "PUB-065"}));
}

// The same scenario with the SDS under test on ZeroMQ: its deliveries and its sends go over the
// zmq adapter, and the runner sees them delivered and received as over HTTP.
TEST_F(ScenarioRun, Bp017OverZeroMqPassesWithACorrectSds) {
  int code = Run(ZmqScenario(), Sds::kCorrect);
  EXPECT_EQ(code, 0) << report_;
  EXPECT_NE(report_.find("Participant under test: 1100000001 over zmq (tcp://127.0.0.1:"),
            std::string::npos)
      << report_;
  EXPECT_NE(report_.find("RESULT: PASS — 7 of 7 steps passed"), std::string::npos) << report_;
  EXPECT_NE(report_.find("R0.responseCode A; hub answered MSG0000; delivered to 1100000001"),
            std::string::npos)
      << report_;
  EXPECT_NE(report_.find("1100000001 sent IF-063 [MDRStop]"), std::string::npos) << report_;
  EXPECT_EQ(publications_, (std::vector<std::string>{"PUB-036", "PUB-062", "PUB-064", "PUB-065"}));
}

TEST_F(ScenarioRun, Bp017OverZeroMqFailsWithAWrongAnswer) {
  int code = Run(ZmqScenario(), Sds::kWrongMpan);
  EXPECT_EQ(code, 1) << report_;
  EXPECT_NE(report_.find("[2/7] SDS asks the MDR to start data retrieval (IF-061) ... FAIL"),
            std::string::npos)
      << report_;
  EXPECT_NE(report_.find("expected MPAN 2000056535971"), std::string::npos) << report_;
}

TEST_F(ScenarioRun, WrongAnswerFailsWithTheMessagesAndExitStatus1) {
  int code = Run(kExample, Sds::kWrongMpan);
  EXPECT_EQ(code, 1) << report_;
  EXPECT_NE(
      report_.find("[1/7] Registration Service appoints the SDS and the MDR (PUB-036) ... PASS"),
      std::string::npos)
      << report_;
  EXPECT_NE(report_.find("[2/7] SDS asks the MDR to start data retrieval (IF-061) ... FAIL"),
            std::string::npos)
      << report_;
  EXPECT_NE(report_.find("MPAN 2000000000007"), std::string::npos) << report_;
  EXPECT_NE(report_.find("expected MPAN 2000056535971"), std::string::npos) << report_;
  EXPECT_NE(report_.find("[3/7] MDR accepts (IF-062) ... SKIPPED"), std::string::npos) << report_;
  // The messages exchanged, with their bodies.
  EXPECT_NE(report_.find("Messages exchanged with the simulated participants"), std::string::npos)
      << report_;
  EXPECT_NE(report_.find("\"MPANCore\":\"2000000000007\""), std::string::npos) << report_;
  EXPECT_NE(report_.find("RESULT: FAIL — 1 of 7 steps passed"), std::string::npos) << report_;
}

TEST_F(ScenarioRun, SilentParticipantFailsOnTimeout) {
  // The example with short timeouts, its harness named by absolute path.
  std::string text = ReadFile(kExample);
  for (std::size_t at; (at = text.find("timeout_ms: 30000")) != std::string::npos;) {
    text.replace(at, 17, "timeout_ms: 1500");
  }
  std::size_t at = text.find("hub_config: harness.yaml");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 24,
               "hub_config: " + std::string(DIPHUB_SOURCE_DIR) + "/deploy/examples/harness.yaml");
  std::string file = dir_.File("silent.yaml");
  WriteFile(file, text);
  int code = Run(file, Sds::kSilent);
  EXPECT_EQ(code, 1) << report_;
  EXPECT_NE(report_.find("no IF-061 [MDRStart] from 1100000001 reached a simulated participant "
                         "within 1500 ms"),
            std::string::npos)
      << report_;
  EXPECT_NE(report_.find("1400000001 -> (by MPAN)  IF-036 [DSAppActive]"), std::string::npos)
      << report_;
}

}  // namespace
}  // namespace diphub::testing
