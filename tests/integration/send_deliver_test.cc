// The foundation's promise, end to end with real processes: a sender POSTs IF-061, gets 201
// only once it is durable, and the recipient's webhook receives PUB-061 with D0 filled in; a
// message accepted before a kill -9 is delivered after the restart.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <regex>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

simdjson::dom::element Parse(simdjson::dom::parser& p, const std::string& json) {
  simdjson::dom::element e;
  auto err = p.parse(json).get(e);
  EXPECT_FALSE(err) << "not JSON: " << json;
  return e;
}

std::string Str(simdjson::dom::element e, const char* pointer) {
  std::string_view v;
  if (e.at_pointer(pointer).get_string().get(v)) return "<missing " + std::string(pointer) + ">";
  return std::string(v);
}

const std::regex kTransactionId(R"(T-IF-061-1100000001-SDS-\d{8}-[0-9A-F]{16})");
const std::regex kDipTimestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00)");

TEST(SendDeliver, AcceptedMessageReachesWebhookWithD0AndSurvivesKill9) {
  TempDir dir;
  auto sink = std::make_unique<RecordingSink>();
  const std::uint16_t sink_port = sink->port();
  HubProcess hub(dir, sink->Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;

  // 1. Send and get 201 with a StandardResponse carrying the hub-assigned transaction ID.
  HttpResult sent = hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-a1"));
  ASSERT_EQ(sent.status, 201) << sent.body << sent.error;
  simdjson::dom::parser p1;
  auto resp = Parse(p1, sent.body);
  std::string tx = Str(resp, "/messageArray/0/transactionID");
  EXPECT_TRUE(std::regex_match(tx, kTransactionId)) << tx;
  EXPECT_EQ(Str(resp, "/messageArray/0/message"), "MSG0000 - Success");
  EXPECT_EQ(Str(resp, "/messageArray/0/senderUniqueReference"),
            "S-IF-061-1100000001-SDS-20261122-a1");
  EXPECT_EQ(Str(resp, "/messageArray/0/recipientID"), "1100000001");
  EXPECT_EQ(Str(resp, "/messageArray/0/senderID"), "0000000000");

  // 2. The webhook receives PUB-061, signed by the hub, with D0 and A0 filled in.
  auto got = sink->WaitFor(1, 15s);
  ASSERT_EQ(got.size(), 1u) << hub.Log();
  EXPECT_TRUE(got[0].signature.ok()) << got[0].signature.ToString();
  simdjson::dom::parser p2;
  auto pub = Parse(p2, got[0].body);
  EXPECT_EQ(Str(pub, "/0/payload/CommonBlock/D0/transactionID"), tx);
  EXPECT_EQ(Str(pub, "/0/payload/CommonBlock/D0/publicationID"), "PUB-061");
  EXPECT_TRUE(
      std::regex_match(Str(pub, "/0/payload/CommonBlock/D0/transactionTimestamp"), kDipTimestamp));
  EXPECT_EQ(Str(pub, "/0/payload/CommonBlock/D0/initialCorrelationID"),
            "CI-S-IF-061-1100000001-SDS-20261122-a1");
  bool replay = true;
  EXPECT_FALSE(pub.at_pointer("/0/payload/CommonBlock/D0/replayIndicator").get_bool().get(replay));
  EXPECT_FALSE(replay);
  EXPECT_EQ(Str(pub, "/0/payload/CommonBlock/A0/primaryRecipients/0"), "1200000001");
  EXPECT_EQ(Str(pub, "/0/payload/CommonBlock/S0/interfaceID"), "IF-061");
  EXPECT_EQ(Str(pub, "/0/payload/CustomBlock/B019/assignedMDRDIPID"), "1200000001");

  // The hub has recorded it as Delivered (the sink's 201 was read) before the sink goes away.
  ASSERT_TRUE(hub.WaitForMetric(
      "diphub_deliveries_total{recipient=\"1200000001\",status=\"Delivered\"} 1", 10s));

  // 3. Webhook down; a second message is accepted; the hub is killed before it can deliver.
  sink.reset();
  HttpResult second = hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-a2"));
  ASSERT_EQ(second.status, 201) << second.body;
  simdjson::dom::parser p3;
  std::string tx2 = Str(Parse(p3, second.body), "/messageArray/0/transactionID");
  std::this_thread::sleep_for(300ms);  // a few failed attempts (connection refused)
  hub.Kill();

  // 4. Restart on the same data; bring the webhook back on the same port; it arrives.
  ASSERT_TRUE(hub.Start(&error)) << error;
  RecordingSink back(sink_port);
  auto after = back.WaitFor(1, 20s);
  ASSERT_GE(after.size(), 1u) << hub.Log();
  simdjson::dom::parser p4;
  auto redelivered = Parse(p4, after[0].body);
  EXPECT_EQ(Str(redelivered, "/0/payload/CommonBlock/D0/transactionID"), tx2);
  EXPECT_TRUE(after[0].signature.ok());
  // Nothing else turns up: the first message was delivered before the crash.
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(back.count(), 1u);

  // 5. The duplicate check survived the crash too.
  HttpResult dup = hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-a2"));
  EXPECT_EQ(dup.status, 400);
  EXPECT_NE(dup.body.find("MSG1006"), std::string::npos) << dup.body;
  EXPECT_EQ(hub.Terminate(), 0);
}

TEST(SendDeliver, ArrayOfMessagesIsOneBatchPostPerRecipient) {
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  // Three messages in one array: one StandardResponse entry each, delivered in order.
  std::string a = MdrStart("S-IF-061-1100000001-SDS-20261122-b1");
  std::string b = MdrStart("S-IF-061-1100000001-SDS-20261122-b2");
  std::string c = MdrStart("S-IF-061-1100000001-SDS-20261122-b3");
  std::string body =
      a.substr(0, a.size() - 1) + "," + b.substr(1, b.size() - 2) + "," + c.substr(1);
  HttpResult sent = hub.Send("IF-061", body);
  ASSERT_EQ(sent.status, 201) << sent.body;
  simdjson::dom::parser p;
  auto resp = Parse(p, sent.body);
  simdjson::dom::array items;
  ASSERT_FALSE(resp.at_pointer("/messageArray").get_array().get(items));
  EXPECT_EQ(items.size(), 3u);

  std::vector<std::string> refs;
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (refs.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    refs.clear();
    for (const auto& d : sink.WaitFor(1, 1s)) {
      simdjson::dom::parser dp;
      simdjson::dom::array arr;
      ASSERT_FALSE(Parse(dp, d.body).get_array().get(arr));
      for (auto m : arr) refs.push_back(Str(m, "/payload/CommonBlock/S1/senderUniqueReference"));
    }
  }
  ASSERT_EQ(refs.size(), 3u) << hub.Log();
  EXPECT_EQ(refs[0], "S-IF-061-1100000001-SDS-20261122-b1");
  EXPECT_EQ(refs[1], "S-IF-061-1100000001-SDS-20261122-b2");
  EXPECT_EQ(refs[2], "S-IF-061-1100000001-SDS-20261122-b3");
}

TEST(SendDeliver, RetriesOn503ThenDelivers) {
  TempDir dir;
  RecordingSink sink;
  sink.set_status(503);
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  ASSERT_EQ(hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-c1")).status, 201);
  auto tries = sink.WaitFor(2, 10s);
  ASSERT_GE(tries.size(), 2u) << "503 must be retried; log:\n" << hub.Log();
  sink.set_status(201);
  std::size_t before = sink.count();
  sink.WaitFor(before + 1, 10s);
  std::this_thread::sleep_for(400ms);
  std::size_t settled = sink.count();
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(sink.count(), settled) << "a 201 must end the retries";
  auto metrics = HttpRequest("127.0.0.1", hub.metrics_port(), "GET", "/metrics");
  EXPECT_NE(
      metrics.body.find("diphub_deliveries_total{recipient=\"1200000001\",status=\"Delivered\"} 1"),
      std::string::npos)
      << metrics.body;
}

// Every stage of a delivered send is timed (docs/metrics.md, diphub_stage_seconds): an operator
// tracing a latency tail sees one observation per send, commit and delivery batch.
TEST(SendDeliver, StagesOfADeliveredSendAreTimed) {
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  ASSERT_EQ(hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-t1")).status, 201);
  ASSERT_EQ(sink.WaitFor(1, 10s).size(), 1u) << hub.Log();
  ASSERT_TRUE(hub.WaitForMetric("diphub_stage_seconds_count{stage=\"delivery_post\"} 1", 10s))
      << HttpRequest("127.0.0.1", hub.metrics_port(), "GET", "/metrics").body;
  const std::string metrics = HttpRequest("127.0.0.1", hub.metrics_port(), "GET", "/metrics").body;
  for (const char* stage : {"ingest", "commit_queue", "commit_checks", "commit_write",
                            "commit_sync", "commit_answer", "delivery_wait", "delivery_post"}) {
    EXPECT_NE(metrics.find("diphub_stage_seconds_count{stage=\"" + std::string(stage) + "\"} 1"),
              std::string::npos)
        << stage << "\n"
        << metrics;
  }
}

TEST(SendDeliver, NoRetryOn400RejectedByRecipient) {
  TempDir dir;
  RecordingSink sink;
  sink.set_status(400);
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  ASSERT_EQ(hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-d1")).status, 201);
  sink.WaitFor(1, 10s);
  std::this_thread::sleep_for(800ms);  // many backoff periods of 50-200 ms
  EXPECT_EQ(sink.count(), 1u) << "a 400 from the recipient is not retried";
  auto metrics = HttpRequest("127.0.0.1", hub.metrics_port(), "GET", "/metrics");
  EXPECT_NE(
      metrics.body.find(
          "diphub_deliveries_total{recipient=\"1200000001\",status=\"RejectedByRecipient\"} 1"),
      std::string::npos)
      << metrics.body;
}

}  // namespace
}  // namespace diphub::testing
