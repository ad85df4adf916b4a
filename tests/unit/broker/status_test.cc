// Parsing of POST /statusmessage bodies (StandardResponseArray) and of the hub's transaction IDs.
#include "broker/status.h"

#include <gtest/gtest.h>

#include <string>

namespace diphub::broker {
namespace {

// One StandardResponseBodyType; `extra` is spliced in before the closing brace.
std::string Item(const std::string& message = "RCP1061 - MPAN Invalid or Unknown",
                 const std::string& tx = "\"T-IF-061-1100000001-SDS-20261122-00AB000000000007\"",
                 const std::string& extra = "") {
  return "{\"transactionID\":" + tx +
         ",\"senderUniqueReference\":\"ref-1\",\"correlationID\":null,"
         "\"sentTimestamp\":\"2026-11-22T10:00:00+00:00\",\"senderID\":\"1200000001\","
         "\"recipientID\":\"1100000001\",\"DIPConnectionProviderID\":null,\"message\":\"" +
         message + "\",\"help\":\"MPAN not known\",\"serviceTicketURL\":null" + extra + "}";
}

TEST(ParseStatusArray, ReadsEveryField) {
  auto parsed = ParseStatusArray("[" + Item() + "," + Item("RCP1064") + "]");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed.value().size(), 2u);
  const StatusItem& first = parsed.value()[0];
  EXPECT_EQ(first.code, "RCP1061");
  EXPECT_EQ(first.item.transaction_id, "T-IF-061-1100000001-SDS-20261122-00AB000000000007");
  EXPECT_EQ(first.item.sender_unique_reference, "ref-1");
  EXPECT_FALSE(first.item.correlation_id.has_value());
  EXPECT_EQ(first.item.sender_id, "1200000001");
  EXPECT_EQ(first.item.recipient_id, "1100000001");
  EXPECT_EQ(first.item.help, "MPAN not known");
  EXPECT_EQ(parsed.value()[1].code, "RCP1064") << "a bare code is a message too";
}

struct BadCase {
  std::string name, body, code, help_contains;
};

class ParseStatusArrayRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseStatusArrayRejects, WithCodeAndField) {
  const BadCase& c = GetParam();
  auto parsed = ParseStatusArray(c.body);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), c.code) << parsed.status().ToString();
  EXPECT_NE(parsed.status().help().find(c.help_contains), std::string::npos)
      << parsed.status().help();
}

std::string CaseName(const ::testing::TestParamInfo<BadCase>& param) { return param.param.name; }

std::string WithoutHelp() {
  std::string item = Item();
  item.erase(item.find(",\"help\":\"MPAN not known\""), 24);
  return "[" + item + "]";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseStatusArrayRejects,
    ::testing::Values(
        BadCase{"Malformed", "[{", "MSG1001", "body: malformed JSON"},
        BadCase{"NotAnArray", Item(), "MSG1001", "body: expected a StandardResponseArray"},
        BadCase{"Empty", "[]", "MSG1001", "at least one item"},
        BadCase{"NotAnObject", "[1]", "MSG1001", "[0]: expected a StandardResponseBodyType"},
        BadCase{"MissingField", WithoutHelp(), "MSG1001", "[0].help: required"},
        BadCase{"UnknownField", "[" + Item("RCP1061", "null", ",\"reason\":\"x\"") + "]", "MSG1001",
                "[0].reason: not a field"},
        BadCase{"WrongType", "[" + Item("RCP1061", "42") + "]", "MSG1001",
                "[0].transactionID: expected a string or null"},
        BadCase{"UnknownCode", "[" + Item() + "," + Item("RCP4242 - Made Up") + "]", "MSG1001",
                "[1].message: \"RCP4242\" is not a DIP response code"},
        BadCase{"NothingNamed",
                "[" +
                    Item("RCP1061", "null")
                        .replace(Item("RCP1061", "null").find("\"ref-1\""), 7, "null") +
                    "]",
                "MSG1001", "[0].transactionID: required"},
        BadCase{"BadTimestamp",
                "[" +
                    Item().replace(Item().find("2026-11-22T10:00:00+00:00"), 25,
                                   "2026-11-22T10:00:00Z") +
                    "]",
                "MSG1007", "[0].sentTimestamp"}),
    CaseName);

TEST(SeqOfTransactionId, ReadsTheLastTwelveHexDigits) {
  EXPECT_EQ(SeqOfTransactionId("T-IF-061-1100000001-SDS-20261122-00AB00000000001F"), 31u);
  EXPECT_FALSE(SeqOfTransactionId("T-IF-061-1100000001-SDS-20261122-00AB0000000000ZZ"));
  EXPECT_FALSE(SeqOfTransactionId("not-a-transaction"));
  EXPECT_FALSE(SeqOfTransactionId(""));
}

}  // namespace
}  // namespace diphub::broker
