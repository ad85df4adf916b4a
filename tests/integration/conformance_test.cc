// Conformance over the real HTTP API: for every interface and event code of the spec, a
// schema-valid message (built from the generated catalogue) passes level 1 on POST /validate;
// and each kind of schema rule, broken alone in an otherwise valid message, is refused on
// POST /dip-channel/{id} with its exact code and HTTP 400, nothing stored.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "dip/catalogue.h"
#include "dip/sample_message.h"
#include "routing/publications.h"
#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;
namespace gen = dip::generated;

constexpr const char* kMpan = "2000000000001";

// Roles beyond the fixture's SDS, MDR and SUP, each with one participant "15000000NN".
const std::vector<std::string> kOtherRoles = {"REGS", "LDSO", "ADS", "UMSDS", "MSS", "MSA",
                                              "UMSO", "MDS",  "LSS", "EES",   "ECS", "ISD"};

std::string OtherId(std::size_t i) {
  return "15000000" + std::string(i < 10 ? "0" : "") + std::to_string(i);
}

// A participant of the hub's config in one of `roles`: the demo MDR first (it is paired with
// the demo SDS), then the others.
std::string RecipientFor(routing::RoleSet roles) {
  if (roles == 0 || (roles & routing::RoleBit("MDR")) != 0) return "1200000001";
  if ((roles & routing::RoleBit("SDS")) != 0) return "1100000001";
  if ((roles & routing::RoleBit("SUP")) != 0) return "1300000001";
  for (std::size_t i = 0; i < kOtherRoles.size(); ++i) {
    if ((roles & routing::RoleBit(kOtherRoles[i])) != 0) return OtherId(i);
  }
  return "1200000001";
}

// "[MDRStart]" -> "MDRStart" for /validate/{IF}/{EventCode}.
std::string PathEvent(std::string_view code) {
  if (code.size() >= 2 && code.front() == '[' && code.back() == ']') {
    code = code.substr(1, code.size() - 2);
  }
  return std::string(code);
}

class Conformance : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string extra;
    for (std::size_t i = 0; i < kOtherRoles.size(); ++i) {
      extra += "  - {dip_id: \"" + OtherId(i) + "\", role: " + kOtherRoles[i] + ", mpid: DX" +
               std::string(1, static_cast<char>('A' + i)) + "X, api_key: k-" + kOtherRoles[i] +
               "}\n";
    }
    hub_ = std::make_unique<HubProcess>(dir_, sink_.Url(), extra);
    std::string error;
    ASSERT_TRUE(hub_->Start(&error)) << error;
    HttpResult imported = hub_->Call(
        "POST", "/admin/appointments",
        std::string("MPANCore,role,DIPID,effectiveFromDate\n") + kMpan +
            ",SUP,1300000001,2020-01-01\n" + kMpan + ",SDS,1100000001,2020-01-01\n" + kMpan +
            ",MSS," + OtherId(4) + ",2020-01-01\n" + kMpan + ",MDR,1200000001,2020-01-01\n",
        {{"Authorization", "Bearer test-admin"}});
    ASSERT_EQ(imported.status, 200) << imported.body;
  }

  // A schema-valid message of `row` addressed to a receiver of its publication, on the MPAN
  // with appointments: from the demo SDS, or from the demo MDR (its pair) when the SDS is the
  // receiver. `*api_key` is the sender's.
  std::string Sample(const gen::EventRow& row, std::uint32_t seed, std::string* api_key) {
    dip::SampleOptions options;
    options.seed = seed;
    options.optional_share = 0;
    options.null_share = 0;
    routing::PublicationRule rule = routing::BuiltInRule(row.interface_id);
    const std::string recipient = RecipientFor(rule.receivers);
    const bool from_mdr = recipient == "1100000001";
    options.fixed = from_mdr ? dip::HubEnvelope("1200000001", "MDR", "DEV")
                             : dip::HubEnvelope("1100000001", "SDS", "DEV");
    *api_key = from_mdr ? "demo-mdr-key" : "demo-sds-key";
    options.fixed.emplace_back("CommonBlock.A0.primaryRecipients", "[\"" + recipient + "\"]");
    options.fixed.emplace_back("CommonBlock.M0.MPANCore", std::string("\"") + kMpan + "\"");
    options.fixed.emplace_back("CustomBlock.B019.assignedMDRDIPID", "\"1200000001\"");
    return "[" + dip::SampleMessage(row, options) + "]";
  }

  TempDir dir_;
  RecordingSink sink_;
  std::unique_ptr<HubProcess> hub_;
};

// Codes that mean the message broke level 1 (schema, envelope, sender); routing's codes
// (MSG1030, MSG1032, MSG1037, MSG1038) depend on the hub's registry and appointments.
bool IsLevelOneCode(const std::string& body) {
  for (const char* code : {"MSG1001", "MSG1002", "MSG1007", "MSG1009", "MSG1010", "MSG1011",
                           "MSG1012", "MSG1031", "MSG1033", "MSG1035"}) {
    if (body.find(code) != std::string::npos) return true;
  }
  return false;
}

TEST_F(Conformance, EveryEventOfTheSpecPassesLevelOneOnValidate) {
  std::set<std::string> events, accepted;
  std::map<std::string, std::string> routed_elsewhere;
  for (std::size_t i = 0; i < gen::kEventCount; ++i) {
    const gen::EventRow& row = gen::kEvents[i];
    std::string event = std::string(row.interface_id) + " " + row.event_code;
    if (!events.insert(event).second) continue;  // one message per (interface, event)
    std::string key;
    std::string body = Sample(row, static_cast<std::uint32_t>(i + 1), &key);
    HttpResult r = hub_->Call(
        "POST", "/validate/" + std::string(row.interface_id) + "/" + PathEvent(row.event_code),
        body, {{"X-API-Key", key}});
    const bool ambiguous = std::string_view(row.interface_id) == "IF-020" &&
                           (std::string_view(row.event_code) == "[RelatedAdd]" ||
                            std::string_view(row.event_code) == "[RelatedRemove]");
    if (ambiguous) {  // the spec's oneOf lists them twice (docs/conformance.md)
      EXPECT_EQ(r.status, 400) << event << ": " << r.body;
      EXPECT_NE(r.body.find("more than one of the spec's schemas"), std::string::npos) << r.body;
      continue;
    }
    if (r.status == 201) {
      accepted.insert(event);
      continue;
    }
    EXPECT_EQ(r.status, 400) << event << ": " << r.body;
    EXPECT_FALSE(IsLevelOneCode(r.body)) << event << ": " << r.body;
    // IF-020 carries its MPAN in M1 (principal MPAN), and routing resolves PUB-020's secondary
    // recipients from M0 only; an accepted rejection (R0 "R") goes to the named originator.
    EXPECT_EQ(std::string_view(row.interface_id), "IF-020") << event << ": " << r.body;
    EXPECT_NE(r.body.find("MSG1037"), std::string::npos) << event << ": " << r.body;
    routed_elsewhere[event] = r.body;
  }
  std::cout << "conformance: " << events.size() << " events, " << accepted.size()
            << " accepted by /validate, " << routed_elsewhere.size()
            << " refused by routing only:\n";
  for (const auto& [event, body] : routed_elsewhere)
    std::cout << "  " << event << ": " << body << "\n";
  EXPECT_GE(events.size(), 120u);
  EXPECT_GE(accepted.size(), events.size() - 2 - 3);
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << "fixture text not found: " << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

TEST_F(Conformance, EachSchemaRuleBrokenAloneIsRefusedWithItsCode) {
  struct Case {
    std::string name, from, to, code, help;
  };
  const std::vector<Case> cases = {
      {"required field missing", "\"B078\":{\"energyDirection\":\"I\"},", "", "MSG1001",
       "CustomBlock.B078: required field missing"},
      {"unexpected field", "\"B078\":{", "\"B078\":{\"colour\":\"red\",", "MSG1001",
       "CustomBlock.B078.colour: unexpected field"},
      {"wrong type", "\"energyDirection\":\"I\"", "\"energyDirection\":1", "MSG1001",
       "CustomBlock.B078.energyDirection: expected a string, got an integer"},
      {"enum", "\"energyDirection\":\"I\"", "\"energyDirection\":\"Q\"", "MSG1001",
       "CustomBlock.B078.energyDirection: expected one of"},
      {"pattern", "\"assignedMDRMPID\":\"DMDR\"", "\"assignedMDRMPID\":\"dmdr\"", "MSG1001",
       "CustomBlock.B019.assignedMDRMPID: expected a value matching ^[A-Z]{4}$"},
      {"enum and length", "\"GSPGroupID\":\"_K\"", "\"GSPGroupID\":\"_KK\"", "MSG1001",
       "M0.GSPGroupID: expected"},
      {"null where not nullable", "\"energisationStatus\":\"E\"", "\"energisationStatus\":null",
       "MSG1001", "CustomBlock.B025.energisationStatus: expected a string, got null"},
      {"secondary recipients", ",\"secondaryRecipients\":[]", "", "MSG1033",
       "A0.secondaryRecipients: required field missing"},
      {"always recipients", "\"always\":[]", "\"always\":[\"123\"]", "MSG1035",
       "A0.always[0]: expected a string of 10 characters"},
      {"timestamp", "\"senderTimestamp\":\"2026-11-22T09:30:00+00:00\"",
       "\"senderTimestamp\":\"2025-01-01T00:00:00Z\"", "MSG1007",
       "S1.senderTimestamp: expected YYYY-MM-DDThh:mm:ss"},
      {"unique reference pattern", "\"senderUniqueReference\":\"S-IF-061-",
       "\"senderUniqueReference\":\"R-IF-061-", "MSG1001",
       "S1.senderUniqueReference: expected a value matching"},
  };
  int n = 0;
  for (const Case& c : cases) {
    const std::string ref = "S-IF-061-1100000001-SDS-20261122-r" + std::to_string(++n);
    HttpResult r = hub_->Send("IF-061", Replace(MdrStart(ref), c.from, c.to));
    EXPECT_EQ(r.status, 400) << c.name << ": " << r.body;
    EXPECT_NE(r.body.find("\"message\":\"" + c.code), std::string::npos)
        << c.name << ": " << r.body;
    EXPECT_NE(r.body.find(c.help), std::string::npos) << c.name << ": " << r.body;
    // Nothing was stored: the corrected message with the same reference is accepted.
    HttpResult ok = hub_->Send("IF-061", MdrStart(ref));
    EXPECT_EQ(ok.status, 201) << c.name << ": the refused message must not be stored: " << ok.body;
  }
  // A refused message refuses its whole array: the valid one beside it is not stored either.
  const std::string good_ref = "S-IF-061-1100000001-SDS-20261122-pair1";
  std::string good = MdrStart(good_ref);
  std::string bad = Replace(MdrStart("S-IF-061-1100000001-SDS-20261122-pair2"),
                            "\"energyDirection\":\"I\"", "\"energyDirection\":\"Q\"");
  std::string both = good.substr(0, good.size() - 1) + "," + bad.substr(1);
  HttpResult r = hub_->Send("IF-061", both);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("MSG1000"), std::string::npos) << r.body;
  EXPECT_EQ(hub_->Send("IF-061", good).status, 201);
}

}  // namespace
}  // namespace diphub::testing
