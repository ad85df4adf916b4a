// Status messages (levels 3/4) on the real hub: a recipient posts POST /statusmessage about a
// message it received; the hub stores it and delivers it, signed and with the DIP retry policy,
// to the original sender's status webhook (POST /statusmessage/config/{id}); the journal of the
// original message shows the StatusMessage stage. And what the hub refuses.
#include <gtest/gtest.h>
#include <simdjson.h>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

const std::string kSds = "1100000001", kMdr = "1200000001";
const std::map<std::string, std::string> kSdsKey{{"X-API-Key", "demo-sds-key"}};
const std::map<std::string, std::string> kMdrKey{{"X-API-Key", "demo-mdr-key"}};
const std::string kStatusDelivered =
    "diphub_deliveries_total{recipient=\"1100000001\",status=\"Delivered\"} 1";

std::string Field(const std::string& json, const char* pointer) {
  simdjson::dom::parser p;
  std::string_view v;
  if (p.parse(json).at_pointer(pointer).get_string().get(v)) return "<no " + std::string(pointer);
  return std::string(v);
}

// A StandardResponseArray of one status message from `sender` about (tx, reference).
std::string Status(const std::string& tx, const std::string& reference,
                   const std::string& message = "RCP1061 - MPAN Invalid or Unknown",
                   const std::string& sender = kMdr) {
  return "[{\"transactionID\":" + (tx.empty() ? "null" : "\"" + tx + "\"") +
         ",\"senderUniqueReference\":\"" + reference +
         "\",\"correlationID\":null,\"sentTimestamp\":\"2026-11-22T10:00:00+00:00\","
         "\"senderID\":\"" +
         sender +
         "\",\"recipientID\":\"1100000001\",\"DIPConnectionProviderID\":null,"
         "\"message\":\"" +
         message + "\",\"help\":\"MPAN not known to the MDR\",\"serviceTicketURL\":null}]";
}

// `body` with DIPConnectionProviderID set to `provider`.
std::string ViaProvider(std::string body, const std::string& provider) {
  const std::string null = "\"DIPConnectionProviderID\":null";
  return body.replace(body.find(null), null.size(),
                      "\"DIPConnectionProviderID\":\"" + provider + "\"");
}

class StatusMessageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(dir_, mdr_sink_.Url());
    std::string error;
    ASSERT_TRUE(hub_->Start(&error)) << error;
    HttpResult config = hub_->Call("POST", "/statusmessage/config/" + kSds,
                                   "{\"callbackURL\":\"" + status_sink_.Url() + "\"}", kSdsKey);
    ASSERT_EQ(config.status, 201) << config.body;
    HttpResult sent = hub_->Send("IF-061", MdrStart(reference_));
    ASSERT_EQ(sent.status, 201) << sent.body;
    tx_ = Field(sent.body, "/messageArray/0/transactionID");
    ASSERT_EQ(mdr_sink_.WaitFor(1, 5s).size(), 1u) << "the MDR receives the message";
  }

  std::string Metrics() {
    return HttpRequest("127.0.0.1", hub_->metrics_port(), "GET", "/metrics").body;
  }

  TempDir dir_;
  RecordingSink mdr_sink_;
  RecordingSink status_sink_;
  std::unique_ptr<HubProcess> hub_;
  const std::string reference_ = "S-IF-061-1100000001-SDS-20261122-status";
  std::string tx_;
};

TEST_F(StatusMessageTest, ReachesTheSendersStatusWebhookSignedAfterRetries) {
  status_sink_.set_status(503);
  HttpResult posted = hub_->Call("POST", "/statusmessage", Status(tx_, reference_), kMdrKey);
  ASSERT_EQ(posted.status, 201) << posted.body;
  EXPECT_EQ(Field(posted.body, "/messageArray/0/message"), "MSG0000 - Success");
  EXPECT_EQ(Field(posted.body, "/messageArray/0/senderUniqueReference"), reference_);

  auto tries = status_sink_.WaitFor(2, 5s);
  ASSERT_GE(tries.size(), 2u) << "a 503 from the status webhook is retried; log:\n" << hub_->Log();
  status_sink_.set_status(201);
  ASSERT_TRUE(hub_->WaitForMetric(kStatusDelivered, 5s)) << Metrics();

  const auto got = status_sink_.WaitFor(3, 1s);
  for (const auto& d : got) {
    EXPECT_TRUE(d.signature.ok()) << d.signature.ToString();
    EXPECT_EQ(Field(d.body, "/0/transactionID"), tx_) << d.body;
    EXPECT_EQ(Field(d.body, "/0/message"), "RCP1061 - MPAN Invalid or Unknown");
    EXPECT_EQ(Field(d.body, "/0/senderID"), kMdr);
    EXPECT_EQ(Field(d.body, "/0/recipientID"), kSds);
    EXPECT_EQ(Field(d.body, "/0/help"), "MPAN not known to the MDR");
  }
  EXPECT_EQ(mdr_sink_.count(), 1u) << "the MDR's own \"*\" webhook gets no status message";
  EXPECT_NE(Metrics().find("diphub_status_messages_total{code=\"RCP1061\",result=\"accepted\"} 1"),
            std::string::npos)
      << Metrics();

  // The original message's journal shows the status message and its delivery.
  HttpResult journal = hub_->Call(
      "GET", "/dip-channel/IF-061/deliveryStatus/" + kSds + "/" + reference_, "", kSdsKey);
  ASSERT_EQ(journal.status, 200) << journal.body;
  EXPECT_NE(journal.body.find("\"stage\":\"StatusMessage\",\"status\":\"Accepted\""),
            std::string::npos)
      << journal.body;
  EXPECT_NE(journal.body.find("\"stage\":\"StatusMessage\",\"status\":\"Delivered\""),
            std::string::npos)
      << journal.body;
  EXPECT_NE(journal.body.find("RCP1061 - MPAN Invalid or Unknown"), std::string::npos);
  // The reporting recipient sees its own status message too.
  HttpResult mdr_view = hub_->Call(
      "GET", "/dip-channel/IF-061/deliveryStatus/" + kMdr + "/" + reference_, "", kMdrKey);
  ASSERT_EQ(mdr_view.status, 200) << mdr_view.body;
  EXPECT_NE(mdr_view.body.find("\"stage\":\"StatusMessage\",\"status\":\"Delivered\""),
            std::string::npos)
      << mdr_view.body;
}

TEST_F(StatusMessageTest, FoundBySenderUniqueReferenceAndSurvivesARestart) {
  // transactionID null: the reference and recipientID name the message.
  HttpResult posted =
      hub_->Call("POST", "/statusmessage", Status("", reference_, "RCP1064"), kMdrKey);
  ASSERT_EQ(posted.status, 201) << posted.body;
  auto got = status_sink_.WaitFor(1, 5s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(Field(got[0].body, "/0/transactionID"), tx_) << "filled in for the sender";

  // The status webhook is persisted.
  EXPECT_EQ(hub_->Terminate(), 0);
  std::string error;
  ASSERT_TRUE(hub_->Start(&error)) << error;
  posted = hub_->Call("POST", "/statusmessage", Status(tx_, reference_, "RCP9999"), kMdrKey);
  ASSERT_EQ(posted.status, 201) << posted.body;
  got = status_sink_.WaitFor(2, 5s);
  ASSERT_EQ(got.size(), 2u) << hub_->Log();
  EXPECT_EQ(Field(got[1].body, "/0/message"), "RCP9999");
}

TEST_F(StatusMessageTest, RefusesWithTheExactCodeAndStoresNothing) {
  struct Case {
    std::string what, body;
    std::map<std::string, std::string> headers;
    int status;
    std::string code, help;
  };
  const std::string unknown_tx = "T-IF-061-1100000001-SDS-20261122-0000000000FFFFFF";
  const std::vector<Case> cases = {
      {"unknown message", Status(unknown_tx, reference_), kMdrKey, 400, "MSG1030",
       "[0].transactionID: no message"},
      {"caller not a recipient",
       Status(tx_, reference_, "RCP1061", "1300000001"),
       {{"X-API-Key", "demo-sup-key"}},
       400,
       "MSG1009",
       "[0].senderID: 1300000001 was not a"},
      {"sender not the caller", Status(tx_, reference_, "RCP1061", "1300000001"), kMdrKey, 400,
       "MSG1009", "not the participant of this X-API-Key"},
      // Naming oneself as the connection provider counts only when registered as the
      // reporter's: the supplier cannot report as the MDR (#16: this was accepted).
      {"caller names itself as provider",
       ViaProvider(Status(tx_, reference_), "1300000001"),
       {{"X-API-Key", "demo-sup-key"}},
       400,
       "MSG1009",
       "not its registered connection provider"},
      // The identity rules of sends (broker/ingest.cc CheckSender), on status messages too.
      {"sender not registered", Status(tx_, reference_, "RCP1061", "1999999999"), kMdrKey, 400,
       "MSG1009", "[0].senderID: \\\"1999999999\\\" is not a registered DIP ID"},
      {"provider not registered", ViaProvider(Status(tx_, reference_), "1999999999"), kMdrKey, 400,
       "MSG1011", "[0].DIPConnectionProviderID: \\\"1999999999\\\" is not a registered DIP ID"},
      {"caller names the sender's non-provider", ViaProvider(Status(tx_, reference_), kSds),
       kSdsKey, 400, "MSG1009", "not its registered connection provider"},
      {"bad schema", "[{\"transactionID\":\"" + tx_ + "\"}]", kMdrKey, 400, "MSG1001",
       "[0].senderUniqueReference: required"},
      {"unknown code", Status(tx_, reference_, "RCP4242 - Made Up"), kMdrKey, 400, "MSG1001",
       "[0].message: \\\"RCP4242\\\" is not a DIP response code"},
      {"all or nothing",
       "[" + Status(tx_, reference_).substr(1, Status(tx_, reference_).size() - 2) + "," +
           Status(unknown_tx, reference_).substr(1),
       kMdrKey, 400, "MSG1030", "[1].transactionID"},
      {"no API key", Status(tx_, reference_), {}, 401, "MSG1009", "X-API-Key: header required"},
  };
  for (const Case& c : cases) {
    HttpResult r = hub_->Call("POST", "/statusmessage", c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body;
    EXPECT_NE(r.body.find(c.code), std::string::npos) << c.what << ": " << r.body;
    EXPECT_NE(r.body.find(c.help), std::string::npos) << c.what << ": " << r.body;
  }
  EXPECT_TRUE(hub_->WaitForMetric(
      "diphub_status_messages_total{code=\"MSG1030\",result=\"rejected\"} 3", 2s))
      << Metrics();
  // Nothing was stored, so nothing reaches the status webhook.
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(status_sink_.count(), 0u);
  EXPECT_EQ(Metrics().find("result=\"accepted\""), std::string::npos) << Metrics();
}

TEST_F(StatusMessageTest, StatusWebhookOnlyForTheCallersOwnDipId) {
  const std::string body = "{\"callbackURL\":\"" + status_sink_.Url() + "\"}";
  HttpResult other = hub_->Call("POST", "/statusmessage/config/" + kMdr, body, kSdsKey);
  EXPECT_EQ(other.status, 403) << other.body;
  HttpResult none = hub_->Call("POST", "/statusmessage/config/" + kMdr, body);
  EXPECT_EQ(none.status, 401) << none.body;
  HttpResult bad = hub_->Call("POST", "/statusmessage/config/" + kSds, "{}", kSdsKey);
  EXPECT_EQ(bad.status, 400) << bad.body;

  // Removed: a status message then waits in the outbox (nothing delivered).
  HttpResult removed = hub_->Call("DELETE", "/statusmessage/config/" + kSds, "", kSdsKey);
  EXPECT_EQ(removed.status, 204) << removed.body;
  HttpResult posted = hub_->Call("POST", "/statusmessage", Status(tx_, reference_), kMdrKey);
  ASSERT_EQ(posted.status, 201) << posted.body;
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(status_sink_.count(), 0u);
  // Set again: the waiting status message is delivered.
  HttpResult again = hub_->Call("POST", "/statusmessage/config/" + kSds, body, kSdsKey);
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(status_sink_.WaitFor(1, 5s).size(), 1u) << hub_->Log();
}

// A registered connection provider reports for its participant; nobody else can (#16).
TEST(StatusMessageProvider, OnlyTheRegisteredConnectionProviderReportsForItsParticipant) {
  TempDir dir;
  RecordingSink mdr_sink, status_sink;
  HubProcess hub(dir, mdr_sink.Url());
  ASSERT_TRUE(hub.EditConfig("    mpid: DMDR\n",
                             "    mpid: DMDR\n    connection_provider: \"1300000001\"\n"));
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  ASSERT_EQ(hub.Call("POST", "/statusmessage/config/" + kSds,
                     "{\"callbackURL\":\"" + status_sink.Url() + "\"}", kSdsKey)
                .status,
            201);
  const std::string ref = "S-IF-061-1100000001-SDS-20261122-prov";
  HttpResult sent = hub.Send("IF-061", MdrStart(ref));
  ASSERT_EQ(sent.status, 201) << sent.body;
  const std::string tx = Field(sent.body, "/messageArray/0/transactionID");

  // The SDS is not the MDR's provider: naming itself does not make it one.
  HttpResult refused =
      hub.Call("POST", "/statusmessage", ViaProvider(Status(tx, ref), kSds), kSdsKey);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("MSG1009"), std::string::npos) << refused.body;

  // The registered provider must name itself: without DIPConnectionProviderID, or naming
  // another participant, its key does not report for the MDR.
  HttpResult unnamed =
      hub.Call("POST", "/statusmessage", Status(tx, ref), {{"X-API-Key", "demo-sup-key"}});
  EXPECT_EQ(unnamed.status, 400) << unnamed.body;
  EXPECT_NE(unnamed.body.find("MSG1009"), std::string::npos) << unnamed.body;
  HttpResult other = hub.Call("POST", "/statusmessage", ViaProvider(Status(tx, ref), kSds),
                              {{"X-API-Key", "demo-sup-key"}});
  EXPECT_EQ(other.status, 400) << other.body;
  EXPECT_NE(other.body.find("MSG1009"), std::string::npos) << other.body;

  HttpResult posted = hub.Call("POST", "/statusmessage", ViaProvider(Status(tx, ref), "1300000001"),
                               {{"X-API-Key", "demo-sup-key"}});
  EXPECT_EQ(posted.status, 201) << posted.body;
  auto got = status_sink.WaitFor(1, 5s);
  ASSERT_EQ(got.size(), 1u) << hub.Log();
  EXPECT_EQ(Field(got[0].body, "/0/senderID"), kMdr);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(status_sink.count(), 1u) << "the refused report was not delivered";
  EXPECT_EQ(hub.Terminate(), 0);
}

}  // namespace
}  // namespace diphub::testing
