// ParseMessageRequest: the MessageRequest body of replay and requeue (broker/delivery_queries.h).
#include <gtest/gtest.h>

#include <string>

#include "broker/delivery_queries.h"

namespace diphub::broker {
namespace {

std::string Ids(int n) {
  std::string out = "[";
  for (int i = 0; i < n; ++i) out += (i ? ",\"TX-" : "\"TX-") + std::to_string(i) + "\"";
  return out + "]";
}

TEST(MessageRequestTest, AtMostOneHundredTransactionIds) {
  EXPECT_TRUE(ParseMessageRequest("{\"transactionIDs\":" + Ids(100) + "}", "IF-061").ok());
  auto r = ParseMessageRequest("{\"transactionIDs\":" + Ids(101) + "}", "IF-061");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().ToString().find("body.transactionIDs"), std::string::npos);
}

// Found by fuzz_message_request: repeated transactionIDs members added up past 100.
TEST(MessageRequestTest, AFieldGivenTwiceIsRefused) {
  auto r = ParseMessageRequest(
      "{\"transactionIDs\":" + Ids(60) + ",\"TransactionIDs\":" + Ids(60) + "}", "IF-061");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().ToString().find("body.transactionIDs: given more than once"),
            std::string::npos)
      << r.status().ToString();
  EXPECT_FALSE(ParseMessageRequest(
                   R"({"datetimeFrom":"2026-11-22T00:00:00+00:00","datetimeFrom":null})", "IF-061")
                   .ok());
}

}  // namespace
}  // namespace diphub::broker
