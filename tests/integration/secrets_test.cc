// Secrets never reach the log (issue #9): the real diphub binary, at log level debug, is driven
// through accepted, refused and rejected sends, admin calls with good and bad tokens, run-time
// participants with API keys, webhooks (signed with the hub's private key), a restart and a
// refused configuration; its whole stderr must not contain any API key, admin token, presented
// credential or line of the hub's private key.
#include <gtest/gtest.h>

#include <sstream>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

const std::string kSdsKey = "sds-key-SECRET-3b8f21";
const std::string kMdrKey = "mdr-key-SECRET-a90c4e";
const std::string kSupKey = "sup-key-SECRET-77d2b0";
const std::string kAdminToken = "admin-SECRET-7c1e9a";
const std::string kRuntimeKey = "runtime-key-SECRET-5a5a11";
// Credentials an attacker (or a typo) presents: a real one may be one character off.
const std::string kBadKey = "bad-key-SECRET-d41d8c";
const std::string kBadToken = "bad-admin-SECRET-9f0e33";
const std::string kBadSignature = "c2lnLVNFQ1JFVC0xMjM0";

using demo::Ref;

// The base64 lines of a PEM private key, each long enough to be unmistakable.
std::vector<std::string> PemBodyLines(const std::string& pem) {
  std::vector<std::string> out;
  std::istringstream in(pem);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("-----") && line.size() >= 16) out.push_back(line);
  }
  return out;
}

void UseSecrets(HubProcess& hub) {
  ASSERT_TRUE(hub.EditConfig("admin_token: test-admin", "admin_token: " + kAdminToken));
  ASSERT_TRUE(hub.EditConfig("api_key: demo-sds-key", "api_key: " + kSdsKey));
  ASSERT_TRUE(hub.EditConfig("api_key: demo-mdr-key", "api_key: " + kMdrKey));
  ASSERT_TRUE(hub.EditConfig("api_key: demo-sup-key", "api_key: " + kSupKey));
}

TEST(Secrets, NoKeyTokenOrPrivateKeyAppearsInTheDebugLog) {
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  UseSecrets(hub);
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  const std::map<std::string, std::string> admin{{"Authorization", "Bearer " + kAdminToken}};

  // Accepted, delivered (the webhook POST is signed with the hub's key), and queried.
  ASSERT_EQ(hub.Send("IF-061", MdrStart(Ref("s1")), kSdsKey).status, 201);
  ASSERT_EQ(sink.WaitFor(1, 10s).size(), 1u) << hub.Log();
  EXPECT_EQ(hub.Call("GET", "/dip-channel/IF-061/deliveryStatus/1100000001/" + Ref("s1"), "",
                     {{"X-API-Key", kSdsKey}})
                .status,
            200);
  // Refused and rejected sends: unknown key, another's key, malformed, a bad signature.
  EXPECT_EQ(hub.Send("IF-061", MdrStart(Ref("s2")), kBadKey).status, 401);
  EXPECT_EQ(hub.Send("IF-061", MdrStart(Ref("s3")), kSupKey).status, 400);
  EXPECT_EQ(hub.Send("IF-061", "[{\"payload\":" + kSdsKey, kSdsKey).status, 400);
  HttpResult signed_badly = hub.Call("POST", "/dip-channel/IF-061", MdrStart(Ref("s4")),
                                     {{"Content-Type", "application/json"},
                                      {"X-API-Key", kSdsKey},
                                      {"X-DIP-Signature", kBadSignature},
                                      {"X-DIP-Signature-Date", "2026-11-22T09:30:00Z"},
                                      {"X-DIP-Signature-Certificate", kBadSignature},
                                      {"X-DIP-Content-Hash", kBadSignature}});
  EXPECT_EQ(signed_badly.status, 401) << signed_badly.body;
  // Queries with keys good and bad.
  EXPECT_EQ(hub.Call("GET", "/mpan/2000056535971", "", {{"X-API-Key", kBadKey}}).status, 401);
  EXPECT_EQ(
      hub.Call("POST", "/dip-channel/IF-061/replay/1200000001", "{}", {{"X-API-Key", kBadKey}})
          .status,
      401);
  EXPECT_EQ(hub.Call("POST", "/dip-channel/IF-061/pubconfig/1200000001",
                     R"({"callbackURL":")" + sink.Url() + R"("})", {{"X-API-Key", kMdrKey}})
                .status,
            201);
  // The admin API: a wrong token, then a participant with an API key, which is never shown.
  EXPECT_EQ(
      hub.Call("GET", "/admin/participants", "", {{"Authorization", "Bearer " + kBadToken}}).status,
      401);
  HttpResult put =
      hub.Call("PUT", "/admin/participants/1200000002",
               R"({"role":"MDR","mpid":"MDR2","api_key":")" + kRuntimeKey + R"("})", admin);
  ASSERT_EQ(put.status, 201) << put.body;
  HttpResult listed = hub.Call("GET", "/admin/participants", "", admin);
  EXPECT_EQ(listed.status, 200);
  HttpResult bad_put =
      hub.Call("PUT", "/admin/participants/1200000003",
               R"({"role":"MDR","mpid":"MDR3","api_key":")" + kSdsKey + R"("})", admin);
  EXPECT_EQ(bad_put.status, 400) << "an API key already in use: " << bad_put.body;
  HttpResult metrics = HttpRequest("127.0.0.1", hub.metrics_port(), "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);

  // A restart (start-up logging again), then a configuration the hub refuses: two
  // participants sharing an API key.
  ASSERT_EQ(hub.Terminate(), 0);
  ASSERT_TRUE(hub.Start(&error)) << error;
  ASSERT_EQ(hub.Send("IF-061", MdrStart(Ref("s5")), kSdsKey).status, 201);
  ASSERT_EQ(sink.WaitFor(2, 10s).size(), 2u) << hub.Log();
  ASSERT_EQ(hub.Terminate(), 0);
  const std::string log_before_refusal = hub.Log();
  ASSERT_TRUE(hub.EditConfig("api_key: " + kSupKey, "api_key: " + kSdsKey));
  EXPECT_FALSE(hub.Start(&error)) << "a shared API key must be refused";
  const std::string log = hub.Log();

  // The log was written at debug level and names what happened...
  EXPECT_NE(log_before_refusal.find("rejected"), std::string::npos) << log_before_refusal;
  EXPECT_NE(log.find("api_key"), std::string::npos) << "the refusal names the field: " << log;
  // ...but holds none of the secrets, nor do the answers that list participants and metrics.
  std::vector<std::string> secrets = {kSdsKey,     kMdrKey, kSupKey,   kAdminToken,
                                      kRuntimeKey, kBadKey, kBadToken, kBadSignature};
  const std::string hub_key = ReadFile(dir.File("data") + "/hub-key.pem");
  ASSERT_NE(hub_key.find("PRIVATE KEY"), std::string::npos) << "the hub's own signing key";
  for (const std::string& line : PemBodyLines(hub_key)) secrets.push_back(line);
  for (const std::string& secret : secrets) {
    EXPECT_EQ(log_before_refusal.find(secret), std::string::npos) << secret << " in the log";
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " in the log";
    EXPECT_EQ(listed.body.find(secret), std::string::npos) << secret << " in " << listed.body;
    EXPECT_EQ(metrics.body.find(secret), std::string::npos) << secret << " in /metrics";
  }
}

}  // namespace
}  // namespace diphub::testing
