// Sends of schema-valid messages against the hub's routing state (issue #16 item 6): A0 is
// optional in the spec's schemas, so a send without it routes on its always (or secondary)
// recipients; routing.appoint_unknown_mpans lets a test hub appoint an MPAN it has never seen
// instead of refusing it with MSG1037.
#include <gtest/gtest.h>

#include <string>

#include "dip/catalogue.h"
#include "dip/sample_message.h"
#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

const std::string kRegs = "1700000001";
const std::string kMss = "1700000002";
const std::string kExtra =
    "  - {dip_id: \"1700000001\", role: REGS, mpid: RGSX, api_key: k-regs}\n"
    "  - {dip_id: \"1700000002\", role: MSS, mpid: MSSX, api_key: k-mss}\n";

// A schema-valid message of (`iface`, `event`) from `sender` (registered in `role`), with only
// the blocks and fields the schema requires (so no A0 unless `primary` is given), on `mpan`.
std::string Message(const std::string& iface, const std::string& event, const std::string& sender,
                    const std::string& role, const std::string& ref, const std::string& mpan,
                    const std::string& primary = "") {
  const dip::generated::EventRow* row = dip::FindEvent(iface, event);
  EXPECT_NE(row, nullptr) << iface << " " << event;
  if (row == nullptr) return "[]";
  dip::SampleOptions options;
  options.optional_share = 0;
  options.null_share = 0;
  options.fixed = dip::HubEnvelope(sender, role, "DEV");
  options.fixed.emplace_back("CommonBlock.S1.senderUniqueReference", "\"" + ref + "\"");
  options.fixed.emplace_back("CommonBlock.M0.MPANCore", "\"" + mpan + "\"");
  options.fixed.emplace_back("CommonBlock.R0.responseCode", "\"A\"");
  if (!primary.empty()) {
    options.fixed.emplace_back("CommonBlock.A0.primaryRecipients", "[\"" + primary + "\"]");
  }
  return "[" + dip::SampleMessage(*row, options) + "]";
}

bool Mentions(const std::vector<adapters::http::SinkDelivery>& got, const std::string& ref) {
  for (const auto& d : got) {
    if (d.body.find(ref) != std::string::npos) return true;
  }
  return false;
}

TEST(RoutingState, SendWithoutA0RoutesToTheAlwaysRecipients) {
  // IF-005 (metering service to registration) is not routed by MPAN. Its schema makes A0
  // optional: without it, the message goes to the interface's always recipient (the REGS).
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, "", kExtra);
  ASSERT_TRUE(hub.EditConfig("routing:\n", "routing:\n  always: {IF-005: [\"" + kRegs + "\"]}\n"));
  ASSERT_TRUE(hub.EditConfig("api_key: k-regs}",
                             "api_key: k-regs, webhooks: {\"*\": \"" + sink.Url() + "\"}}"));
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  const std::string ref = "S-IF-005-1700000002-MSS-20261122-noa0";
  const std::string m = Message("IF-005", "[MeterInstall]", kMss, "MSS", ref, "2000000000001");
  ASSERT_EQ(m.find("\"A0\""), std::string::npos) << m;
  HttpResult r = hub.Send("IF-005", m, "k-mss");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(Mentions(sink.WaitFor(1, 10s), ref));
}

TEST(RoutingState, SendWithoutA0AndNoOneToGoToIsAnAddressingError) {
  // Without A0 and without always recipients, a publication not routed by MPAN has nobody to
  // go to: MSG1030, saying so (not that the schema requires A0, which it does not).
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url(), kExtra);
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  const std::string m = Message("IF-005", "[MeterInstall]", kMss, "MSS",
                                "S-IF-005-1700000002-MSS-20261122-none", "2000000000001");
  HttpResult r = hub.Send("IF-005", m, "k-mss");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("\"message\":\"MSG1030 - Msg Addressing / Routing Error\""),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("A0.primaryRecipients: not given, and PUB-005 has no always recipients"),
            std::string::npos)
      << r.body;
}

TEST(RoutingState, UnknownMpanIsRefusedUnlessTheHarnessAppointsIt) {
  // A supplier's IF-025 to the data service, on an MPAN the hub has no appointments for: MSG1037
  // by default. With routing.appoint_unknown_mpans, the MPAN is appointed on first sight (the
  // sender as its supplier, the primary recipient as its data service) and the message routed;
  // the appointment lasts: the data service's IF-028 on the MPAN, without A0, then reaches the
  // supplier as its secondary recipient.
  const std::string mpan = "2000000000777";
  const std::string ref = "S-IF-025-1300000001-SUP-20261122-first";
  for (bool appoint : {false, true}) {
    SCOPED_TRACE(appoint ? "appoint_unknown_mpans: true" : "default");
    TempDir dir;
    RecordingSink sink;
    HubProcess hub(dir, "", kExtra);
    if (appoint) {
      ASSERT_TRUE(hub.EditConfig("routing:\n", "routing:\n  appoint_unknown_mpans: true\n"));
    }
    for (const char* id : {"1100000001\", role: SDS, mpid: DSDS, api_key: demo-sds-key",
                           "1300000001\", role: SUP, mpid: DSUP, api_key: demo-sup-key"}) {
      ASSERT_TRUE(hub.EditConfig(std::string(id) + "}",
                                 std::string(id) + ", webhooks: {\"*\": \"" + sink.Url() + "\"}}"));
    }
    std::string error;
    ASSERT_TRUE(hub.Start(&error)) << error;
    const std::string first =
        Message("IF-025", "[ConsentGranularity]", "1300000001", "SUP", ref, mpan, "1100000001");
    HttpResult r = hub.Send("IF-025", first, "demo-sup-key");
    if (!appoint) {
      EXPECT_EQ(r.status, 400) << r.body;
      EXPECT_NE(r.body.find("\"message\":\"MSG1037"), std::string::npos) << r.body;
      EXPECT_NE(r.body.find("MPAN " + mpan + " has no appointments known to the hub"),
                std::string::npos)
          << r.body;
      continue;
    }
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_TRUE(Mentions(sink.WaitFor(1, 10s), ref));
    const std::string reply_ref = "S-IF-028-1100000001-SDS-20261122-back";
    const std::string reply =
        Message("IF-028", "[ConsumptionAmendment]", "1100000001", "SDS", reply_ref, mpan);
    ASSERT_EQ(reply.find("\"A0\""), std::string::npos) << reply;
    r = hub.Send("IF-028", reply, "demo-sds-key");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_TRUE(Mentions(sink.WaitFor(2, 10s), reply_ref));
    HttpResult view = hub.Call("GET", "/mpan/" + mpan, "", {{"X-API-Key", "demo-sup-key"}});
    EXPECT_EQ(view.status, 200) << view.body;
    EXPECT_NE(view.body.find("1300000001"), std::string::npos) << view.body;
    EXPECT_NE(view.body.find("1100000001"), std::string::npos) << view.body;
  }
}

}  // namespace
}  // namespace diphub::testing
