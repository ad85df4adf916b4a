// POST /validate/{IF}/{EventCode}: the level-1 checks of a send on one message, answered 201 or
// 400 with a string naming the code and the field; nothing is stored or delivered.
#include <gtest/gtest.h>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;
const std::map<std::string, std::string> kSds{{"X-API-Key", "demo-sds-key"}};

TEST(Validate, ChecksWithoutStoringOrDelivering) {
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  const std::string ref = "S-IF-061-1100000001-SDS-20261122-v1";
  std::string m = MdrStart(ref);

  HttpResult ok = hub.Call("POST", "/validate/IF-061/MDRStart", m, kSds);
  EXPECT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.body, "\"MSG0000 - Success\"");

  HttpResult wrong_event = hub.Call("POST", "/validate/IF-061/MDRStop", m, kSds);
  EXPECT_EQ(wrong_event.status, 400);
  EXPECT_NE(wrong_event.body.find("S0.eventCode"), std::string::npos) << wrong_event.body;

  std::string bad = m;
  bad.replace(bad.find("2026-11-22T09:30:00+00:00"), 25, "2026-11-22T09:30:00Z");
  HttpResult bad_time = hub.Call("POST", "/validate/IF-061/MDRStart", bad, kSds);
  EXPECT_EQ(bad_time.status, 400);
  EXPECT_NE(bad_time.body.find("MSG1007"), std::string::npos) << bad_time.body;
  EXPECT_NE(bad_time.body.find("S1.senderTimestamp"), std::string::npos) << bad_time.body;

  HttpResult no_key = hub.Call("POST", "/validate/IF-061/MDRStart", m);
  EXPECT_EQ(no_key.status, 401);
  EXPECT_NE(no_key.body.find("X-API-Key: header required"), std::string::npos) << no_key.body;
  HttpResult not_json = hub.Call("POST", "/validate/IF-061/MDRStart", "[{", kSds);
  EXPECT_EQ(not_json.status, 400);
  EXPECT_NE(not_json.body.find("MSG1001 - Schema Failure: body: malformed JSON"), std::string::npos)
      << not_json.body;
  EXPECT_EQ(hub.Call("POST", "/validate/IF-999/MDRStart", m, kSds).status, 400);
  // Routing is part of level 1: a supplier is not a receiver of PUB-061.
  std::string to_sup = m;
  to_sup.replace(to_sup.find("[\"1200000001\"]"), 14, "[\"1300000001\"]");
  HttpResult wrong_role = hub.Call("POST", "/validate/IF-061/MDRStart", to_sup, kSds);
  EXPECT_EQ(wrong_role.status, 400);
  EXPECT_NE(wrong_role.body.find("MSG1032"), std::string::npos) << wrong_role.body;

  // Nothing was stored or delivered: the same reference is accepted by a real send, once.
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink.count(), 0u);
  EXPECT_EQ(hub.Send("IF-061", m).status, 201);
  EXPECT_EQ(sink.WaitFor(1, 10s).size(), 1u);
}

}  // namespace
}  // namespace diphub::testing
