// Isolation between participants (issue #9), against the real diphub binary: an API key acts
// only for its own DIP ID. A participant cannot send as another, requeue or replay another's
// messages, change another's webhooks, or use the admin API without the admin token; and a
// refused request changes nothing. Reading another's journal (deliveryStatus) is shown by
// DeliveryApi.JournalShowsEveryStage, querying an MPAN one is not appointed to by
// Routing.AppointmentFromPub036RoutesAndSurvivesRestart.
#include <gtest/gtest.h>

#include <thread>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

using namespace demo;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class Isolation : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(dir_, sink_.Url());
    std::string error;
    ASSERT_TRUE(hub_->Start(&error)) << error;
  }
  void TearDown() override {
    if (hub_) {
      EXPECT_EQ(hub_->Terminate(), 0) << hub_->Log();
    }
  }

  TempDir dir_;
  RecordingSink sink_;
  std::unique_ptr<HubProcess> hub_;
};

TEST_F(Isolation, AKeyCannotSendAsAnotherDipIdAndNothingIsStored) {
  // The supplier's key, S1.senderDIPID the SDS: the whole send is refused, naming the key.
  HttpResult forged = hub_->Send("IF-061", MdrStart(Ref("f1")), "demo-sup-key");
  EXPECT_EQ(forged.status, 400) << forged.body;
  EXPECT_TRUE(Contains(forged.body, "MSG1009")) << forged.body;
  EXPECT_TRUE(Contains(forged.body, "X-API-Key")) << forged.body;
  // Naming oneself as the SDS's connection provider does not help: it is not registered as one
  // (this was accepted before issue #9's isolation tests).
  std::string as_provider = MdrStart(Ref("f2"));
  as_provider.replace(as_provider.find("\"DIPConnectionProviderID\":null"),
                      std::string("\"DIPConnectionProviderID\":null").size(),
                      "\"DIPConnectionProviderID\":\"1300000001\"");
  HttpResult provider = hub_->Send("IF-061", as_provider, "demo-sup-key");
  EXPECT_EQ(provider.status, 400) << provider.body;
  EXPECT_TRUE(Contains(provider.body, "MSG1009")) << provider.body;

  // Nothing of the forged sends was stored or delivered: the real sender can still use the
  // reference (no MSG1006 duplicate), and the MDR gets exactly that one message.
  HttpResult real = hub_->Send("IF-061", MdrStart(Ref("f1")));
  ASSERT_EQ(real.status, 201) << real.body;
  ASSERT_EQ(sink_.WaitFor(1, 10s).size(), 1u) << hub_->Log();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink_.count(), 1u);
}

// A connection provider sends for a participant only when registered as its provider.
TEST(IsolationProvider, ARegisteredConnectionProviderMaySendForItsParticipant) {
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  ASSERT_TRUE(hub.EditConfig("mpid: DSDS,", "mpid: DSDS, connection_provider: \"1300000001\","));
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  std::string via_provider = MdrStart(Ref("p1"));
  via_provider.replace(via_provider.find("\"DIPConnectionProviderID\":null"),
                       std::string("\"DIPConnectionProviderID\":null").size(),
                       "\"DIPConnectionProviderID\":\"1300000001\"");
  HttpResult sent = hub.Send("IF-061", via_provider, "demo-sup-key");
  EXPECT_EQ(sent.status, 201) << sent.body;
  EXPECT_EQ(sink.WaitFor(1, 10s).size(), 1u) << hub.Log();
  // The MDR is not the SDS's provider: naming itself does not make it one.
  std::string by_mdr = MdrStart(Ref("p2"));
  by_mdr.replace(by_mdr.find("\"DIPConnectionProviderID\":null"),
                 std::string("\"DIPConnectionProviderID\":null").size(),
                 "\"DIPConnectionProviderID\":\"1200000001\"");
  HttpResult refused = hub.Send("IF-061", by_mdr, "demo-mdr-key");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_TRUE(Contains(refused.body, "MSG1009")) << refused.body;
  EXPECT_EQ(hub.Terminate(), 0);
}

TEST_F(Isolation, ReplayAndRequeueOnlyForTheKeysOwnDipId) {
  ASSERT_EQ(hub_->Send("IF-061", MdrStart(Ref("r1"))).status, 201);
  ASSERT_EQ(sink_.WaitFor(1, 10s).size(), 1u) << hub_->Log();
  const std::string replay = "/dip-channel/IF-061/replay/" + std::string(kMdr);
  const std::string requeue = "/dip-channel/IF-061/requeue/" + std::string(kMdr);

  // The MDR may replay its own publications.
  HttpResult own = hub_->Call("POST", replay, kAllNull, kMdrKey);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_TRUE(Contains(own.body, Ref("r1"))) << own.body;

  // The sender and an uninvolved supplier may not replay or requeue the MDR's, nor ask after
  // its requeues; without a key or with an unknown one it is 401.
  for (const auto* key : {&kSdsKey, &kSupKey}) {
    HttpResult r = hub_->Call("POST", replay, kAllNull, *key);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_FALSE(Contains(r.body, Ref("r1"))) << r.body;
    EXPECT_EQ(hub_->Call("POST", requeue, kAllNull, *key).status, 403);
    EXPECT_EQ(hub_->Call("GET", requeue + "?requeue-id=1", "", *key).status, 403);
  }
  EXPECT_EQ(hub_->Call("POST", replay, kAllNull).status, 401);
  EXPECT_EQ(hub_->Call("POST", requeue, kAllNull, {{"X-API-Key", "guess"}}).status, 401);

  // The supplier's own replay does not show the MDR's message.
  HttpResult sup = hub_->Call("POST", "/dip-channel/IF-061/replay/1300000001", kAllNull, kSupKey);
  EXPECT_EQ(sup.status, 200) << sup.body;
  EXPECT_FALSE(Contains(sup.body, Ref("r1"))) << sup.body;

  // No refused requeue redelivered anything.
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink_.count(), 1u);
}

TEST_F(Isolation, AKeyCannotChangeAnotherParticipantsWebhooks) {
  RecordingSink thief;
  const std::string hook = R"({"callbackURL":")" + thief.Url() + R"("})";
  const std::string pubconfig = "/dip-channel/IF-061/pubconfig/" + std::string(kMdr);
  for (const auto* key : {&kSdsKey, &kSupKey}) {
    HttpResult set = hub_->Call("POST", pubconfig, hook, *key);
    EXPECT_EQ(set.status, 403) << set.body;
    EXPECT_EQ(hub_->Call("DELETE", pubconfig, "", *key).status, 403);
  }
  EXPECT_EQ(hub_->Call("POST", pubconfig, hook).status, 401);
  EXPECT_EQ(hub_->Call("DELETE", pubconfig, "", {{"X-API-Key", "guess"}}).status, 401);

  // The MDR's webhook is unchanged: its messages still reach it, none the other sink.
  ASSERT_EQ(hub_->Send("IF-061", MdrStart(Ref("w1"))).status, 201);
  EXPECT_EQ(sink_.WaitFor(1, 10s).size(), 1u) << hub_->Log();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(thief.count(), 0u);
}

TEST_F(Isolation, TheAdminApiNeedsTheAdminToken) {
  const std::string mdr2 = R"({"role":"MDR","mpid":"MDR2","api_key":"mdr2-key"})";
  struct Call {
    const char* method;
    std::string target, body;
  };
  const std::vector<Call> calls = {
      {"GET", "/admin/participants", ""},
      {"PUT", "/admin/participants/1200000002", mdr2},
      {"DELETE", "/admin/participants/1200000001", ""},
      {"GET", "/admin/routing", ""},
      {"PUT", "/admin/pairings/1100000001/1200000001", ""},
      {"GET", "/admin/deadletters/1200000001", ""},
      {"POST", "/admin/recipients/1200000001/pause", ""},
  };
  // No token, a wrong one, a participant's API key in either header, another scheme.
  const std::vector<std::map<std::string, std::string>> refused = {
      {},
      {{"Authorization", "Bearer wrong"}},
      {{"Authorization", "Bearer test-admin2"}},
      {{"Authorization", "Bearer "}},
      {{"Authorization", "Bearer demo-sds-key"}},
      {{"Authorization", "Basic dGVzdC1hZG1pbg=="}},
      {{"Authorization", "test-admin"}},
      {{"X-API-Key", "demo-sds-key"}},
  };
  for (const Call& c : calls) {
    for (const auto& headers : refused) {
      HttpResult r = hub_->Call(c.method, c.target, c.body, headers);
      EXPECT_EQ(r.status, 401) << c.method << " " << c.target << ": " << r.body;
    }
  }
  // Nothing the refused calls asked for happened.
  EXPECT_EQ(hub_->Call("GET", "/admin/participants/1200000002", "", kAdmin).status, 404);
  EXPECT_EQ(hub_->Call("GET", "/admin/participants/1200000001", "", kAdmin).status, 200);
  ASSERT_EQ(hub_->Send("IF-061", MdrStart(Ref("a1"))).status, 201);
  EXPECT_EQ(sink_.WaitFor(1, 10s).size(), 1u) << "not paused: " << hub_->Log();
  // With the token, the same API answers.
  EXPECT_EQ(hub_->Call("GET", "/admin/participants", "", kAdmin).status, 200);
}

}  // namespace
}  // namespace diphub::testing
