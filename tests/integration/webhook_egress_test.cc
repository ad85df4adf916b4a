// Webhook egress (#16 items 4 and 5). SSRF: without webhooks.allow_internal, webhook URLs at
// loopback, private, link-local or other internal addresses (or with credentials) are refused
// when registered (pubconfig, status config, admin API: 400 naming callbackURL; configuration:
// the start fails naming the participant), and a name that resolves to an internal address is
// refused when the hub connects (the delivery fails and is retried, the journal says why, the
// receiver gets nothing). HTTPS: a real TLS receiver with a certificate from a CA made here
// receives a signed delivery when webhooks.ca_file trusts that CA; a hub trusting another CA,
// or a certificate for another host, does not deliver, and the journal says why.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/http/webhook_sink.h"
#include "broker/webhook_policy.h"
#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;
using namespace demo;

const std::string kFixtureAllow = "webhooks:\n  allow_internal: [127.0.0.0/8, \"::1/128\"]\n";

// A webhook receiver on `host` (plain, or TLS with `tls`) that records what it gets.
class Receiver {
 public:
  explicit Receiver(const std::string& host, adapters::http::TlsConfig tls = {})
      : sink_(
            host, 0,
            [this](const adapters::http::SinkDelivery& d) {
              std::lock_guard lock(mu_);
              got_.push_back(d);
              cv_.notify_all();
              return 201;
            },
            std::move(tls)) {
    status_ = sink_.Start();
  }
  const dip::Status& status() const { return status_; }
  std::uint16_t port() const { return sink_.port(); }
  std::vector<adapters::http::SinkDelivery> WaitFor(std::size_t n,
                                                    std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return got_.size() >= n; });
    return got_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<adapters::http::SinkDelivery> got_;
  adapters::http::WebhookSink sink_;
  dip::Status status_;
};

// The journal of the SDS's send `ref` once it has a row with `status`; "" on timeout.
std::string JournalWith(HubProcess& hub, const std::string& ref, const std::string& status) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::string body;
  while (std::chrono::steady_clock::now() < deadline) {
    body = hub.Call("GET", "/dip-channel/IF-061/deliveryStatus/" + std::string(kSds) + "/" + ref,
                    "", kAdmin)
               .body;
    if (body.find("\"status\":\"" + status + "\"") != std::string::npos) return body;
    std::this_thread::sleep_for(100ms);
  }
  ADD_FAILURE() << "no " << status << " row in " << body;
  return "";
}

std::string PubConfig(const std::string& url) { return "{\"callbackURL\":\"" + url + "\"}"; }

TEST(WebhookSsrf, InternalUrlsAreRefusedWhenRegistered) {
  TempDir dir;
  HubProcess hub(dir, "");
  ASSERT_TRUE(hub.EditConfig(kFixtureAllow, ""));
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  const std::vector<std::string> internal = {
      "http://127.0.0.1:9000/dip",  "http://localhost:9000/dip",
      "http://10.0.0.8/dip",        "http://172.20.1.1/dip",
      "http://192.168.1.20/dip",    "http://169.254.169.254/latest/meta-data/",
      "http://[::1]:9000/dip",      "http://[fe80::1]/dip",
      "http://[fd00::5]/dip",       "http://[::ffff:127.0.0.1]/dip",
      "http://0.0.0.0:9000/dip",    "http://2130706433:9000/dip",
      "http://0x7f000001:9000/dip", "http://127.1:9000/dip",
      "https://127.0.0.1:9443/dip"};
  for (const std::string& url : internal) {
    HttpResult r = hub.Call("POST", "/dip-channel/IF-061/pubconfig/" + std::string(kMdr),
                            PubConfig(url), kMdrKey);
    EXPECT_EQ(r.status, 400) << url << ": " << r.body;
    EXPECT_NE(r.body.find("body.callbackURL"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("webhooks.allow_internal"), std::string::npos) << r.body;
  }
  HttpResult creds = hub.Call("POST", "/dip-channel/IF-061/pubconfig/" + std::string(kMdr),
                              PubConfig("https://user:pw@dip.example.com/hook"), kMdrKey);
  EXPECT_EQ(creds.status, 400) << creds.body;
  EXPECT_NE(creds.body.find("credentials"), std::string::npos) << creds.body;
  // The status webhook and the admin API apply the same rule.
  HttpResult status = hub.Call("POST", "/statusmessage/config/" + std::string(kSds),
                               PubConfig("http://169.254.169.254/"), kSdsKey);
  EXPECT_EQ(status.status, 400) << status.body;
  EXPECT_NE(status.body.find("169.254.169.254 is a link-local"), std::string::npos) << status.body;
  HttpResult admin = hub.Call("PUT", "/admin/participants/1400000001",
                              R"({"role":"SUP","mpid":"DSUQ","api_key":"demo-new-key",)"
                              R"("webhooks":{"*":"http://192.168.0.1/dip"}})",
                              kAdmin);
  EXPECT_EQ(admin.status, 400) << admin.body;
  EXPECT_NE(admin.body.find("body.webhooks.*"), std::string::npos) << admin.body;
  // Nothing was stored; a public https:// URL is taken.
  HttpResult mdr = hub.Call("GET", "/admin/participants/" + std::string(kMdr), "", kAdmin);
  EXPECT_EQ(mdr.body.find("http://"), std::string::npos) << mdr.body;
  HttpResult ok = hub.Call("POST", "/dip-channel/IF-061/pubconfig/" + std::string(kMdr),
                           PubConfig("https://dip.example.com/hook"), kMdrKey);
  EXPECT_EQ(ok.status, 201) << ok.body;
}

TEST(WebhookSsrf, AConfiguredInternalWebhookStopsTheStartNamingIt) {
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  ASSERT_TRUE(hub.EditConfig(kFixtureAllow, ""));
  std::string error;
  EXPECT_FALSE(hub.Start(&error));
  EXPECT_NE(error.find("participants[1].webhooks.*"), std::string::npos) << error;
  EXPECT_NE(error.find("127.0.0.1 is a loopback"), std::string::npos) << error;
  EXPECT_NE(error.find("webhooks.allow_internal"), std::string::npos) << error;
}

// The machine's own host name, when it resolves (without DNS: /etc/hosts) to internal IPv4
// addresses only: 127.0.1.1 on Debian, 127.0.0.1 in some containers, the private address on
// cloud runners. The first such address is returned in `address`.
std::string InternalHostName(std::string* address) {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "";
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(name, nullptr, &hints, &res) != 0 || res == nullptr) return "";
  std::string first;
  bool all_internal = true;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, text, sizeof text);
    if (first.empty()) first = text;
    all_internal =
        all_internal && broker::InternalAddressKind(boost::asio::ip::make_address(text)) != nullptr;
  }
  ::freeaddrinfo(res);
  if (!all_internal) return "";
  *address = first;
  return name;
}

// A name that passes registration but resolves to an internal address is refused when the hub
// connects: the receiver listening there gets nothing, the journal shows the failed attempt and
// why. A hub whose allow-list covers the address delivers to the same URL (the control).
TEST(WebhookSsrf, ANameResolvingToAnInternalAddressIsRefusedAtConnect) {
  std::string address;
  const std::string name = InternalHostName(&address);
  if (name.empty()) GTEST_SKIP() << "the host name does not resolve to internal addresses only";
  Receiver receiver(address);
  ASSERT_TRUE(receiver.status().ok()) << receiver.status().ToString();
  const std::string url = "http://" + name + ":" + std::to_string(receiver.port()) + "/dip";

  {
    TempDir dir;
    HubProcess hub(dir, "");
    ASSERT_TRUE(hub.EditConfig(kFixtureAllow, ""));
    std::string error;
    ASSERT_TRUE(hub.Start(&error)) << error;
    HttpResult set = hub.Call("POST", "/dip-channel/IF-061/pubconfig/" + std::string(kMdr),
                              PubConfig(url), kMdrKey);
    ASSERT_EQ(set.status, 201) << "a name passes registration: " << set.body;
    const std::string ref = Ref("ssrfname");
    {
      HttpResult sent = hub.Send("IF-061", MdrStart(ref));
      ASSERT_EQ(sent.status, 201) << sent.body;
    }
    std::string journal = JournalWith(hub, ref, "Retrying");
    EXPECT_NE(journal.find("not connecting to " + name + ": " + address + " is a"),
              std::string::npos)
        << journal;
    EXPECT_EQ(journal.find("\"Delivered\""), std::string::npos) << journal;
    std::this_thread::sleep_for(500ms);
    EXPECT_TRUE(receiver.WaitFor(1, 0ms).empty()) << "the internal receiver was reached";
    EXPECT_EQ(hub.Terminate(), 0);
  }
  {
    TempDir dir;
    HubProcess hub(dir, "");
    ASSERT_TRUE(hub.EditConfig(kFixtureAllow, "webhooks:\n  allow_internal: [" + address + "]\n"));
    std::string error;
    ASSERT_TRUE(hub.Start(&error)) << error;
    ASSERT_EQ(hub.Call("POST", "/dip-channel/IF-061/pubconfig/" + std::string(kMdr), PubConfig(url),
                       kMdrKey)
                  .status,
              201);
    ASSERT_EQ(hub.Send("IF-061", MdrStart(Ref("ssrfallowed"))).status, 201);
    EXPECT_EQ(receiver.WaitFor(1, 10s).size(), 1u) << hub.Log();
    EXPECT_EQ(hub.Terminate(), 0);
  }
}

// A CA, and server certificates it signs, made with the openssl command line.
class WebhookTls : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeCa("ca");
    MakeCa("other-ca");
    MakeServer("good", "ca", "subjectAltName=IP:127.0.0.1");
    MakeServer("wrong-host", "ca", "subjectAltName=DNS:elsewhere.example");
  }

  void Openssl(std::vector<std::string> args) {
    ChildProcess openssl("/usr/bin/openssl", std::move(args), dir_.File("openssl.log"));
    ASSERT_TRUE(openssl.Start());
    ASSERT_EQ(openssl.Wait(60s).value_or(-1), 0) << ReadFile(dir_.File("openssl.log"));
  }

  void MakeCa(const std::string& name) {
    Openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + name,
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
             "keyUsage=critical,keyCertSign,cRLSign", "-keyout", dir_.File(name + "-key.pem"),
             "-out", dir_.File(name + ".pem")});
  }

  void MakeServer(const std::string& name, const std::string& ca, const std::string& san) {
    Openssl({"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout",
             dir_.File(name + "-key.pem"), "-out", dir_.File(name + ".csr")});
    WriteFile(dir_.File(name + ".ext"), san + "\n");
    Openssl({"x509", "-req", "-in", dir_.File(name + ".csr"), "-CA", dir_.File(ca + ".pem"),
             "-CAkey", dir_.File(ca + "-key.pem"), "-CAcreateserial", "-days", "2", "-extfile",
             dir_.File(name + ".ext"), "-out", dir_.File(name + ".pem")});
  }

  adapters::http::TlsConfig Server(const std::string& name) {
    return {dir_.File(name + ".pem"), dir_.File(name + "-key.pem"), ""};
  }

  // A hub whose MDR webhook is `url`, trusting `ca` for https:// webhooks.
  std::unique_ptr<HubProcess> StartHub(const std::string& url, const std::string& ca) {
    auto hub = std::make_unique<HubProcess>(hub_dir_, url);
    EXPECT_TRUE(
        hub->EditConfig(kFixtureAllow, "webhooks:\n  allow_internal: [127.0.0.0/8]\n" +
                                           ("  ca_file: " + dir_.File(ca + ".pem") + "\n")));
    std::string error;
    EXPECT_TRUE(hub->Start(&error)) << error;
    return hub;
  }

  static std::string Url(const Receiver& r) {
    return "https://127.0.0.1:" + std::to_string(r.port()) + "/dip";
  }

  TempDir dir_, hub_dir_;
};

TEST_F(WebhookTls, ASignedDeliveryReachesAReceiverWhoseCertificateTheCaFileTrusts) {
  Receiver receiver("127.0.0.1", Server("good"));
  ASSERT_TRUE(receiver.status().ok()) << receiver.status().ToString();
  auto hub = StartHub(Url(receiver), "ca");
  const std::string ref = Ref("tlsgood");
  {
    HttpResult sent = hub->Send("IF-061", MdrStart(ref));
    ASSERT_EQ(sent.status, 201) << sent.body;
  }
  auto got = receiver.WaitFor(1, 10s);
  ASSERT_EQ(got.size(), 1u) << hub->Log();
  // The receiver verified the X-DIP signature over the https:// URL it serves.
  EXPECT_TRUE(got[0].signature.ok()) << got[0].signature.ToString();
  EXPECT_NE(got[0].body.find(ref), std::string::npos);
  EXPECT_FALSE(JournalWith(*hub, ref, "Delivered").empty());
}

TEST_F(WebhookTls, AnUntrustedCaIsNotDeliveredToAndTheJournalSaysWhy) {
  Receiver receiver("127.0.0.1", Server("good"));
  ASSERT_TRUE(receiver.status().ok()) << receiver.status().ToString();
  auto hub = StartHub(Url(receiver), "other-ca");
  const std::string ref = Ref("tlsuntrusted");
  {
    HttpResult sent = hub->Send("IF-061", MdrStart(ref));
    ASSERT_EQ(sent.status, 201) << sent.body;
  }
  std::string journal = JournalWith(*hub, ref, "Retrying");
  EXPECT_NE(journal.find("certificate not trusted"), std::string::npos) << journal;
  EXPECT_NE(journal.find("TLS handshake with 127.0.0.1"), std::string::npos) << journal;
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(receiver.WaitFor(1, 0ms).empty());
}

TEST_F(WebhookTls, ACertificateForAnotherHostIsRefused) {
  Receiver receiver("127.0.0.1", Server("wrong-host"));
  ASSERT_TRUE(receiver.status().ok()) << receiver.status().ToString();
  auto hub = StartHub(Url(receiver), "ca");
  const std::string ref = Ref("tlswronghost");
  {
    HttpResult sent = hub->Send("IF-061", MdrStart(ref));
    ASSERT_EQ(sent.status, 201) << sent.body;
  }
  std::string journal = JournalWith(*hub, ref, "Retrying");
  EXPECT_NE(journal.find("mismatch"), std::string::npos) << journal;
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(receiver.WaitFor(1, 0ms).empty());
}

TEST_F(WebhookTls, AnUnreadableCaFileStopsTheStartNamingIt) {
  TempDir dir;
  HubProcess hub(dir, "");
  ASSERT_TRUE(
      hub.EditConfig(kFixtureAllow, "webhooks:\n  ca_file: " + dir.File("none.pem") + "\n"));
  std::string error;
  EXPECT_FALSE(hub.Start(&error));
  EXPECT_NE(error.find("webhooks.ca_file"), std::string::npos) << error;
}

}  // namespace
}  // namespace diphub::testing
