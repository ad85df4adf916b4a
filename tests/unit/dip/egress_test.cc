#include "dip/egress.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "dip/envelope.h"
#include "dip/json_writer.h"
#include "tests/unit/dip/test_messages.h"

namespace diphub::dip {
namespace {

using testing::Replace;
using testing::ValidItem;

DipBlock D0() {
  DipBlock d;
  d.transaction_id = "T-IF-061-1100000001-SDS-20250811-0000000000000001";
  d.transaction_timestamp = "2025-08-11T08:30:00+00:00";
  d.publication_id = "PUB-061";
  return d;
}

Addressing A0() {
  Addressing a;
  a.primary_recipients = {"1200000001"};
  a.always = {"1400000001"};
  return a;
}

std::size_t Count(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// Renders `item` and parses the result; fails the test when either step fails.
std::string Egress(const std::string& item, simdjson::dom::parser& parser,
                   simdjson::dom::element* doc) {
  std::string out;
  Status s = AppendEgressMessage(item, A0(), D0(), &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  auto parsed = parser.parse(out);
  EXPECT_EQ(parsed.error(), simdjson::SUCCESS) << out;
  if (parsed.error() == simdjson::SUCCESS) *doc = parsed.value_unsafe();
  return out;
}

TEST(EgressTest, AddsD0AndCompletesA0) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string out = Egress(ValidItem(), parser, &doc);
  simdjson::dom::element cb = doc["payload"]["CommonBlock"];
  std::string_view tid, pub, iface;
  ASSERT_EQ(cb["D0"]["transactionID"].get(tid), simdjson::SUCCESS) << out;
  EXPECT_EQ(tid, D0().transaction_id);
  ASSERT_EQ(cb["D0"]["publicationID"].get(pub), simdjson::SUCCESS);
  EXPECT_EQ(pub, "PUB-061");
  bool replay = true;
  ASSERT_EQ(cb["D0"]["replayIndicator"].get(replay), simdjson::SUCCESS);
  EXPECT_FALSE(replay);
  EXPECT_TRUE(cb["D0"]["initialCorrelationID"].is_null());
  EXPECT_TRUE(cb["D0"]["serviceTicketURL"].is_null());
  std::string_view ts;
  ASSERT_EQ(cb["D0"]["transactionTimestamp"].get(ts), simdjson::SUCCESS);
  EXPECT_EQ(ts, "2025-08-11T08:30:00+00:00");
  simdjson::dom::array always;
  ASSERT_EQ(cb["A0"]["always"].get(always), simdjson::SUCCESS);
  EXPECT_EQ(always.size(), 1u);
  ASSERT_EQ(cb["S0"]["interfaceID"].get(iface), simdjson::SUCCESS);
  EXPECT_EQ(iface, "IF-061");
}

// The hub's A0 and D0 as a recipient reads them: the spec's field names and order, each ID and
// string JSON-escaped, absent optionals as null, several recipients of each kind.
TEST(EgressTest, WritesA0AndD0ExactlyAsTheSpecNamesThem) {
  Addressing a;
  a.primary_recipients = {"1200000001", "12\"quoted\""};
  a.secondary_recipients = {"1300000001", "1300000002"};
  DipBlock d = D0();
  d.initial_correlation_id = "corr-\\1";
  d.replay_indicator = true;
  std::string out;
  ASSERT_TRUE(
      AppendEgressMessage(std::string(R"({"payload":{"CommonBlock":{"S0":{}}}})"), a, d, &out)
          .ok());
  JsonWriter w;  // the reference: the same blocks through the general writer
  w.Key("A0").BeginObject().Key("primaryRecipients").BeginArray();
  for (const std::string& id : a.primary_recipients) w.String(id);
  w.EndArray().Key("secondaryRecipients").BeginArray();
  for (const std::string& id : a.secondary_recipients) w.String(id);
  w.EndArray().Key("always").BeginArray().EndArray().EndObject();
  w.Key("D0").BeginObject();
  w.Key("transactionID").String(d.transaction_id);
  w.Key("transactionTimestamp").String(d.transaction_timestamp);
  w.Key("publicationID").String(d.publication_id);
  w.Key("initialCorrelationID").OptString(d.initial_correlation_id);
  w.Key("replayIndicator").Bool(d.replay_indicator);
  w.Key("serviceTicketURL").OptString(d.service_ticket_url);
  w.EndObject();
  EXPECT_EQ(out, R"({"payload":{"CommonBlock":{"S0":{},)" + w.str() + "}}}");
  EXPECT_NE(out.find(R"("always":[])"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("serviceTicketURL":null})"), std::string::npos) << out;
}

TEST(EgressTest, KeepsCustomBlockExactly) {
  const std::string custom =
      R"({"B019" : {"n": 1.50e3, "s": "caf\u00e9 \"q\"", "a": [ true,null ]}})";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string out = Egress(ValidItem(custom), parser, &doc);
  // The value byte for byte (the whitespace before it is the sender's too).
  std::size_t at = out.find("\"CustomBlock\":");
  ASSERT_NE(at, std::string::npos) << out;
  at = out.find_first_not_of(" \n\r\t", at + 14);
  EXPECT_EQ(out.compare(at, custom.size(), custom), 0) << out;
}

// A message sent with the spec's names is published as its own bytes, whitespace included, with
// the sender's A0 cut out and the hub's A0 and D0 spliced into CommonBlock.
TEST(EgressTest, SplicesIntoTheBytesAsReceived) {
  const std::string item =
      "{ \"payload\" : {\"CommonBlock\" : {\"S0\" : {\"eventCode\":\"[MDRStart]\"},\n"
      "  \"A0\": {\"primaryRecipients\": [\"FORGED\"]},  \"S1\":{ \"x\" : 1 } } ,"
      " \"CustomBlock\" : { \"B\" : [ 1 , 2 ] } } }";
  std::string out;
  ASSERT_TRUE(AppendEgressMessage(item, A0(), D0(), &out).ok());
  const std::string head =
      "{ \"payload\" : {\"CommonBlock\" : {\"S0\" : {\"eventCode\":\"[MDRStart]\"},\"S1\":{ \"x\" "
      ": 1 },"
      "\"A0\":";
  EXPECT_EQ(out.substr(0, head.size()), head) << out;
  // D0 ends the block; what follows CommonBlock's brace is as received.
  const std::string tail = "null}} , \"CustomBlock\" : { \"B\" : [ 1 , 2 ] } } }";
  ASSERT_GE(out.size(), tail.size());
  EXPECT_EQ(out.substr(out.size() - tail.size()), tail) << out;
  EXPECT_EQ(out.find("FORGED"), std::string::npos) << out;
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(out).error(), simdjson::SUCCESS) << out;
}

TEST(EgressTest, ReplacesSenderSuppliedA0AndD0) {
  std::string item =
      Replace(ValidItem(), "\"M0\"", R"("D0": {"transactionID": "FORGED"}, "d0": {"x": 1}, "M0")");
  item = Replace(item, "\"A0\"", "\"a0\"");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string out = Egress(item, parser, &doc);
  EXPECT_EQ(out.find("FORGED"), std::string::npos) << out;
  EXPECT_EQ(Count(out, "\"D0\""), 1u) << out;
  EXPECT_EQ(Count(out, "\"A0\""), 1u) << out;
  EXPECT_EQ(Count(out, "\"a0\""), 0u) << out;
  std::string_view tid;
  ASSERT_EQ(doc["payload"]["CommonBlock"]["D0"]["transactionID"].get(tid), simdjson::SUCCESS);
  EXPECT_EQ(tid, D0().transaction_id);
}

TEST(EgressTest, CanonicalisesBlockNames) {
  std::string item = Replace(ValidItem(), "\"CommonBlock\"", "\"commonblock\"");
  item = Replace(item, "\"S1\"", "\"s1\"");
  item = Replace(item, "\"CustomBlock\"", "\"customBLOCK\"");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string out = Egress(item, parser, &doc);
  EXPECT_EQ(out.find("commonblock"), std::string::npos) << out;
  EXPECT_EQ(out.find("customBLOCK"), std::string::npos) << out;
  EXPECT_EQ(doc["payload"]["CommonBlock"]["S1"].error(), simdjson::SUCCESS) << out;
  EXPECT_EQ(doc["payload"]["CustomBlock"].error(), simdjson::SUCCESS) << out;
}

TEST(EgressTest, CommonBlockOfOnlyA0StillValid) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string out =
      Egress(R"({"payload": {"CommonBlock": {"A0": {}}, "CustomBlock": {}}})", parser, &doc);
  EXPECT_EQ(doc["payload"]["CommonBlock"]["D0"].error(), simdjson::SUCCESS) << out;
}

TEST(EgressTest, AppendsToExistingOutput) {
  std::string out = "[";
  ASSERT_TRUE(AppendEgressMessage(ValidItem(), A0(), D0(), &out).ok());
  out += ",";
  ASSERT_TRUE(AppendEgressMessage(ValidItem(), A0(), D0(), &out).ok());
  out += "]";
  simdjson::dom::parser parser;
  simdjson::dom::array arr;
  ASSERT_EQ(parser.parse(out).get(arr), simdjson::SUCCESS) << out;
  EXPECT_EQ(arr.size(), 2u);
}

TEST(EgressTest, ParsedRawItemRendersToo) {
  std::string body = "[" + ValidItem() + "]";
  std::string scratch;
  ParsedArray a = ParseMessageArray(body, &scratch);
  ASSERT_TRUE(a.status.ok());
  std::string out;
  Status s = AppendEgressMessage(a.items[0].envelope.raw, A0(), D0(), &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(out).error(), simdjson::SUCCESS) << out;
}

TEST(EgressTest, UnreadableInputIsProcessingFailure) {
  std::string out;
  Status s = AppendEgressMessage("not json", A0(), D0(), &out);
  EXPECT_EQ(s.code(), "MSG1000");
}

}  // namespace
}  // namespace diphub::dip
