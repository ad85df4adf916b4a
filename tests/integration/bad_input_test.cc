// Bad input over the real HTTP API: the exact DIP code and HTTP status, a help text naming the
// field, and nothing stored (a corrected resend with the same senderUniqueReference is accepted,
// and nothing reaches the webhook).
#include <gtest/gtest.h>

#include <regex>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(dir_, sink_.Url());
    std::string error;
    ASSERT_TRUE(hub_->Start(&error)) << error;
  }

  // Sends `body`, expects `status` and `code` with `help_fragment` in the answer, then proves
  // nothing was stored by sending a valid message with the same reference.
  void ExpectRejected(const std::string& channel, const std::string& body, int status,
                      const std::string& code, const std::string& help_fragment,
                      const std::string& reference, const std::string& api_key = "demo-sds-key") {
    HttpResult r = hub_->Send(channel, body, api_key);
    EXPECT_EQ(r.status, status) << r.body << r.error;
    EXPECT_NE(r.body.find("\"message\":\"" + code), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(help_fragment), std::string::npos) << r.body;
    if (!reference.empty()) {
      HttpResult ok = hub_->Send("IF-061", MdrStart(reference));
      EXPECT_EQ(ok.status, 201) << "the rejected message must not have been stored: " << ok.body;
    }
  }

  TempDir dir_;
  RecordingSink sink_;
  std::unique_ptr<HubProcess> hub_;
};

constexpr const char* kRef = "S-IF-061-1100000001-SDS-20261122-x";

TEST_F(BadInput, MalformedJson) {
  ExpectRejected("IF-061", "[{\"payload\": {\"CommonBlock\": ", 400, "MSG1001", "body", "");
  ExpectRejected("IF-061", Replace(MdrStart(std::string(kRef) + "1"), "\"I\"}", "tru}"), 400,
                 "MSG1001", "malformed JSON", std::string(kRef) + "1");
}

TEST_F(BadInput, UnknownInterfaceInPath) {
  ExpectRejected("IF-999", MdrStart(std::string(kRef) + "2"), 400, "MSG1002", "IF-999",
                 std::string(kRef) + "2");
}

TEST_F(BadInput, InterfaceInBodyDiffersFromPath) {
  ExpectRejected("IF-063", MdrStart(std::string(kRef) + "3"), 400, "MSG1002", "S0.interfaceID",
                 std::string(kRef) + "3");
}

TEST_F(BadInput, BodyNotAnArray) {
  std::string m = MdrStart(std::string(kRef) + "4");
  ExpectRejected("IF-061", m.substr(1, m.size() - 2), 400, "MSG1001",
                 "expected a JSON array of messages", std::string(kRef) + "4");
  ExpectRejected("IF-061", "[]", 400, "MSG1001", "empty", "");
}

TEST_F(BadInput, MissingS0OrS1) {
  std::string no_s1 =
      std::regex_replace(MdrStart(std::string(kRef) + "5"), std::regex(R"("S1":\{[^}]*\},)"), "");
  ExpectRejected("IF-061", no_s1, 400, "MSG1001", "S1: required block missing", "");
  std::string no_s0 =
      std::regex_replace(MdrStart(std::string(kRef) + "5"), std::regex(R"("S0":\{[^}]*\},)"), "");
  ExpectRejected("IF-061", no_s0, 400, "MSG1001", "S0: required block missing",
                 std::string(kRef) + "5");
}

TEST_F(BadInput, UnknownSenderDipId) {
  std::string body = Replace(MdrStart(std::string(kRef) + "6"), "\"senderDIPID\":\"1100000001\"",
                             "\"senderDIPID\":\"1999999999\"");
  ExpectRejected("IF-061", body, 400, "MSG1009", "S1.senderDIPID", std::string(kRef) + "6");
}

TEST_F(BadInput, SenderNotTheApiKeyOwner) {
  ExpectRejected("IF-061", MdrStart(std::string(kRef) + "7"), 400, "MSG1009", "X-API-Key",
                 std::string(kRef) + "7", "demo-sup-key");
}

TEST_F(BadInput, MissingOrUnknownApiKeyIs401) {
  ExpectRejected("IF-061", MdrStart(std::string(kRef) + "8"), 401, "MSG1009", "X-API-Key", "", "");
  ExpectRejected("IF-061", MdrStart(std::string(kRef) + "8"), 401, "MSG1009", "X-API-Key",
                 std::string(kRef) + "8", "wrong-key");
}

TEST_F(BadInput, BadTimestampRoleAndRecipient) {
  ExpectRejected("IF-061",
                 Replace(MdrStart(std::string(kRef) + "9"), "2026-11-22T09:30:00+00:00",
                         "2025-01-01T00:00:00Z"),
                 400, "MSG1007",
                 "S1.senderTimestamp: expected YYYY-MM-DDThh:mm:ss\u00b1hh:mm, got "
                 "\\\"2025-01-01T00:00:00Z\\\"",
                 "");
  ExpectRejected("IF-061",
                 Replace(MdrStart(std::string(kRef) + "9"), "\"senderRoleID\":\"SDS\"",
                         "\"senderRoleID\":\"MDR\""),
                 400, "MSG1010", "S1.senderRoleID", "");
  ExpectRejected(
      "IF-061",
      Replace(MdrStart(std::string(kRef) + "9"), "\"primaryRecipients\":[\"1200000001\"]",
              "\"primaryRecipients\":[\"1777777777\"]"),
      400, "MSG1031", "A0.primaryRecipients[0]", std::string(kRef) + "9");
}

TEST_F(BadInput, OneBadMessageRejectsTheWholeArray) {
  std::string good = MdrStart(std::string(kRef) + "10");
  std::string bad = Replace(MdrStart(std::string(kRef) + "11"), "\"eventCode\":\"[MDRStart]\"",
                            "\"eventCode\":\"[Nonsense]\"");
  std::string body = good.substr(0, good.size() - 1) + "," + bad.substr(1);
  HttpResult r = hub_->Send("IF-061", body);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("MSG1000"), std::string::npos) << r.body;  // the good one: not stored
  EXPECT_NE(r.body.find("S0.eventCode"), std::string::npos) << r.body;
  EXPECT_EQ(hub_->Send("IF-061", good).status, 201) << "the good message was not stored";
}

TEST_F(BadInput, DuplicateReferenceIsMsg1006) {
  std::string m = MdrStart(std::string(kRef) + "12");
  ASSERT_EQ(hub_->Send("IF-061", m).status, 201);
  HttpResult again = hub_->Send("IF-061", m);
  EXPECT_EQ(again.status, 400);
  EXPECT_NE(again.body.find("MSG1006 - Sender Unique Reference Duplicated"), std::string::npos)
      << again.body;
  sink_.WaitFor(1, 10s);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink_.count(), 1u) << "the duplicate must not be delivered";
}

TEST_F(BadInput, NothingRejectedReachesTheWebhook) {
  hub_->Send("IF-999", MdrStart(std::string(kRef) + "13"));
  hub_->Send("IF-061", "not json");
  hub_->Send("IF-061", MdrStart(std::string(kRef) + "13"), "");
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sink_.count(), 0u);
}

TEST_F(BadInput, OversizedBodyIs413AndHubStaysUp) {
  std::string huge(17u << 20, ' ');
  huge[0] = '[';
  huge.back() = ']';
  HttpResult r = hub_->Send("IF-061", huge);
  EXPECT_EQ(r.status, 413) << r.error;
  EXPECT_EQ(hub_->Send("IF-061", MdrStart(std::string(kRef) + "14")).status, 201);
}

}  // namespace
}  // namespace diphub::testing
