#include "dip/standard_response.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <string>

namespace diphub::dip {
namespace {

constexpr const char* kFields[] = {
    "transactionID", "senderUniqueReference", "correlationID",           "sentTimestamp",
    "senderID",      "recipientID",           "DIPConnectionProviderID", "message",
    "help",          "serviceTicketURL"};

TEST(StandardResponseTest, EveryFieldPresentAndNullsRendered) {
  ResponseItem full;
  full.transaction_id = "T-1";
  full.sender_unique_reference = "REF-1";
  full.correlation_id = "CI-1";
  full.sent_timestamp = "2025-08-11T08:30:00+00:00";
  full.sender_id = "0000000000";
  full.recipient_id = "1100000001";
  full.connection_provider_id = "1900000001";
  full.message = "MSG0000 - Success";
  full.help = "with \"quotes\" and \\ backslash";
  full.service_ticket_url = "http://x/1";
  ResponseItem empty;
  empty.sent_timestamp = full.sent_timestamp;
  empty.sender_id = full.sender_id;
  empty.message = "MSG1001 - Schema Failure";

  std::string text = RenderStandardResponse({full, empty}, Clock::now());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  simdjson::dom::array items;
  ASSERT_EQ(doc["messageArray"].get(items), simdjson::SUCCESS);
  ASSERT_EQ(items.size(), 2u);

  simdjson::dom::object first, second;
  ASSERT_EQ(items.at(0).get(first), simdjson::SUCCESS);
  ASSERT_EQ(items.at(1).get(second), simdjson::SUCCESS);
  EXPECT_EQ(first.size(), 10u);
  EXPECT_EQ(second.size(), 10u);
  for (const char* f : kFields) {
    simdjson::dom::element v;
    ASSERT_EQ(first[f].get(v), simdjson::SUCCESS) << f;
    EXPECT_TRUE(v.is_string()) << f;
    ASSERT_EQ(second[f].get(v), simdjson::SUCCESS) << f;
  }
  std::string_view help;
  ASSERT_EQ(first["help"].get(help), simdjson::SUCCESS);
  EXPECT_EQ(help, *full.help);
  for (const char* f : {"transactionID", "senderUniqueReference", "correlationID", "recipientID",
                        "DIPConnectionProviderID", "help", "serviceTicketURL"}) {
    EXPECT_TRUE(second[f].is_null()) << f;
  }
  std::string_view message;
  ASSERT_EQ(second["message"].get(message), simdjson::SUCCESS);
  EXPECT_EQ(message, "MSG1001 - Schema Failure");
}

TEST(StandardResponseTest, TimestampIsDt003OfNow) {
  using namespace std::chrono;  // NOLINT(google-build-using-namespace): calendar literals
  auto now = time_point_cast<Clock::duration>(sys_days(2025y / August / 11) + hours(8));
  std::string text = RenderStandardResponse({}, now);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  std::string_view ts;
  ASSERT_EQ(doc["timestamp"].get(ts), simdjson::SUCCESS);
  EXPECT_EQ(ts, "2025-08-11T08:00:00+00:00");
  simdjson::dom::array items;
  ASSERT_EQ(doc["messageArray"].get(items), simdjson::SUCCESS);
  EXPECT_EQ(items.size(), 0u);
}

TEST(StandardResponseTest, HelpWithControlAndNonAsciiCharactersSurvives) {
  ResponseItem it;
  it.sent_timestamp = "2025-08-11T08:30:00+00:00";
  it.sender_id = "0000000000";
  it.message = "MSG1001 - Schema Failure";
  it.help = std::string("line1\nline2\ttab \x01 caf\xc3\xa9 </script>");
  std::string text = RenderStandardResponse({it}, Clock::now());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  std::string_view help;
  ASSERT_EQ(doc["messageArray"].at(0)["help"].get(help), simdjson::SUCCESS);
  EXPECT_EQ(help, *it.help);
}

}  // namespace
}  // namespace diphub::dip
