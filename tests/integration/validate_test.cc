// POST /validate/{IF}/{EventCode}: the level-1 checks of a send on one message, answered 201 or
// 400 with a string naming the code and the field; nothing is stored or delivered.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <thread>

#include "dip/catalogue.h"
#include "dip/sample_message.h"
#include "routing/publications.h"
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

  // A path of the spec for another event of the message's interface: the URL's event is not
  // the message's. (IF-061 has one event, so this is IF-065's MDRTOU on its MDRConsumption path.)
  const dip::generated::EventRow* tou = nullptr;
  for (std::uint32_t i : dip::FindEventRows("IF-065", "[MDRTOU]"))
    tou = &dip::generated::kEvents[i];
  ASSERT_NE(tou, nullptr);
  dip::SampleOptions options;
  options.fixed = dip::HubEnvelope("1200000001", "MDR", "DEV");
  HttpResult wrong_event =
      hub.Call("POST", "/validate/IF-065/MDRConsumption",
               "[" + dip::SampleMessage(*tou, options) + "]", {{"X-API-Key", "demo-mdr-key"}});
  EXPECT_EQ(wrong_event.status, 400);
  EXPECT_NE(wrong_event.body.find("S0.eventCode"), std::string::npos) << wrong_event.body;
  // An interface's event the spec has no /validate path for is not found.
  EXPECT_EQ(hub.Call("POST", "/validate/IF-061/MDRStop", m, kSds).status, 404);

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
  // The spec has no /validate path for IF-016 (nor IF-047 and the REP reports): not found.
  HttpResult no_path = hub.Call("POST", "/validate/IF-016/ActivePower", m, kSds);
  EXPECT_EQ(no_path.status, 404) << no_path.body;
  EXPECT_NE(no_path.body.find("no POST /validate/IF-016/ActivePower path"), std::string::npos)
      << no_path.body;
  EXPECT_EQ(ok.headers["X-DIPHub-Routing"],
            "MSG0000 - Success: a send would reach 1200000001 (primary); would appoint MDR "
            "1200000001 from 2026-11-23");
  // Routing state is not level 1: a supplier is not a receiver of PUB-061, which a send would
  // be refused for (MSG1032); /validate says so beside its verdict.
  std::string to_sup = m;
  to_sup.replace(to_sup.find("[\"1200000001\"]"), 14, "[\"1300000001\"]");
  HttpResult wrong_role = hub.Call("POST", "/validate/IF-061/MDRStart", to_sup, kSds);
  EXPECT_EQ(wrong_role.status, 201) << wrong_role.body;
  EXPECT_EQ(wrong_role.body, "\"MSG0000 - Success\"");
  EXPECT_TRUE(wrong_role.headers["X-DIPHub-Routing"].starts_with(
      "MSG1032 - Primary Recipient(s) DIP Role ID Invalid: A0.primaryRecipients[0]: "
      "\"1300000001\" is registered as SUP"))
      << wrong_role.headers["X-DIPHub-Routing"];
  EXPECT_EQ(hub.Send("IF-061", to_sup).status, 400);
  // The finding quotes the message's values; a CR LF in one cannot start a header of its own.
  std::string crlf = m;
  crlf.replace(crlf.find("[\"1200000001\"]"), 14, "[\"12\\r\\nX-Ev:1\"]");
  HttpResult injected = hub.Call("POST", "/validate/IF-061/MDRStart", crlf, kSds);
  EXPECT_EQ(injected.status, 201) << injected.body;
  EXPECT_EQ(injected.headers.count("X-Ev"), 0u);
  EXPECT_NE(injected.headers["X-DIPHub-Routing"].find("MSG1031"), std::string::npos);
  EXPECT_NE(injected.headers["X-DIPHub-Routing"].find("\"12??X-Ev:1\" is not a registered"),
            std::string::npos)
      << injected.headers["X-DIPHub-Routing"];

  // Nothing was stored or delivered: the same reference is accepted by a real send, once.
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink.count(), 0u);
  EXPECT_EQ(hub.Send("IF-061", m).status, 201);
  EXPECT_EQ(sink.WaitFor(1, 10s).size(), 1u);
}

// Every role of the publication table, one registered participant each: the demo SDS, MDR and
// SUP, and "16000000NN" for the others (API key "k-<role>").
struct RoleParty {
  std::string id, role, api_key, mpid;
};
std::vector<RoleParty> EveryRole() {
  std::vector<RoleParty> out = {{"1100000001", "SDS", "demo-sds-key", "DSDS"},
                                {"1200000001", "MDR", "demo-mdr-key", "DMDR"},
                                {"1300000001", "SUP", "demo-sup-key", "DSUP"}};
  const std::vector<std::string> others = {"REGS", "LDSO", "ADS", "UMSDS", "MSS", "MSA",
                                           "UMSO", "MDS",  "LSS", "EES",   "ECS", "ISD"};
  for (std::size_t i = 0; i < others.size(); ++i) {
    out.push_back({"16000000" + std::to_string(10 + i), others[i], "k-" + others[i],
                   "DY" + std::string(1, static_cast<char>('A' + i)) + "Y"});
  }
  return out;
}

std::string EveryRoleYaml() {
  std::string yaml;
  for (const RoleParty& p : EveryRole()) {
    if (p.id.starts_with("16")) {
      yaml += "  - {dip_id: \"" + p.id + "\", role: " + p.role + ", mpid: " + p.mpid +
              ", api_key: " + p.api_key + "}\n";
    }
  }
  return yaml;
}

// The event row the spec's /validate path checks: its own variant where it names one.
const dip::generated::EventRow* PathRow(const dip::generated::ValidatePathRow& path) {
  for (std::uint32_t i : dip::FindEventRows(path.interface_id, path.event_code)) {
    const dip::generated::EventRow& row = dip::generated::kEvents[i];
    if (path.variant == nullptr || std::string_view(row.variant) == path.variant) return &row;
  }
  return nullptr;
}

TEST(Validate, EverySpecPathAcceptsASchemaValidMessageWhateverTheRoutingState) {
  // For each of the spec's POST /validate/{IF}/{EventCode} paths, a message generated from the
  // event's schema (random optional blocks, so often no A0; an MPAN and recipients the hub has
  // never heard of), sent by a registered participant as itself: every other path from a role
  // the publication table lets send the interface, the rest from each role in turn whether or
  // not it may. Each answers 201 "MSG0000 - Success", and what a real send would get is
  // reported in X-DIPHub-Routing.
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url(), EveryRoleYaml());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  const std::vector<RoleParty> parties = EveryRole();
  std::map<std::string, int> findings;  // routing finding code -> messages
  std::size_t checked = 0;
  for (std::size_t i = 0; i < dip::generated::kValidatePathCount; ++i) {
    const dip::generated::ValidatePathRow& path = dip::generated::kValidatePaths[i];
    const dip::generated::EventRow* row = PathRow(path);
    ASSERT_NE(row, nullptr) << path.interface_id << " " << path.event_code;
    // Every other path from a role the publication table lets send the interface, so that
    // the other routing refusals show too; the rest from the roles in turn.
    const RoleParty* sender = &parties[(i / 2) % parties.size()];
    if (i % 2 == 0) {
      const routing::RoleSet senders = routing::BuiltInRule(path.interface_id).senders;
      for (const RoleParty& p : parties) {
        if ((routing::RoleBit(p.role) & senders) != 0) {
          sender = &p;
          break;
        }
      }
    }
    dip::SampleOptions options;
    options.seed = static_cast<std::uint32_t>(i + 1);
    options.fixed = dip::HubEnvelope(sender->id, sender->role, "DEV");
    const std::string message = dip::SampleMessage(*row, options);
    std::string event(path.event_code);
    event = event.substr(1, event.size() - 2);
    const std::string where =
        std::string(path.interface_id) + "/" + event + " from " + sender->role + ": ";
    HttpResult r = hub.Call("POST", "/validate/" + std::string(path.interface_id) + "/" + event,
                            "[" + message + "]", {{"X-API-Key", sender->api_key}});
    EXPECT_EQ(r.status, 201) << where << r.body << "\n" << message;
    EXPECT_EQ(r.body, "\"MSG0000 - Success\"") << where;
    const std::string finding = r.headers["X-DIPHub-Routing"];
    EXPECT_TRUE(finding.starts_with("MSG")) << where << finding;
    ++findings[finding.substr(0, 7)];
    ++checked;
  }
  EXPECT_EQ(checked, 127u);
  std::cout << "validate: " << checked << " spec paths answered; routing findings:";
  for (const auto& [code, n] : findings) std::cout << " " << code << " x" << n;
  std::cout << "\n";
  // The routing state the messages meet is varied: refusals a send would get are reported.
  EXPECT_GE(findings.size(), 3u);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(sink.count(), 0u);  // nothing delivered
}

}  // namespace
}  // namespace diphub::testing
