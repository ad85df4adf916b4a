#include "routing/router.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "routing/shard.h"

namespace diphub::routing {
namespace {

// The cast: a supplier, a registration service, two SDSs, two MDRs and a distributor.
constexpr const char* kSup = "1300000001";
constexpr const char* kRegs = "1400000001";
constexpr const char* kSds = "1100000001";
constexpr const char* kSds2 = "1100000002";
constexpr const char* kMdr = "1200000001";
constexpr const char* kMdr2 = "1200000002";
constexpr const char* kLdso = "1500000001";
constexpr const char* kAlways = "1600000001";
constexpr const char* kEcs = "1700000001";
constexpr const char* kMpanA = "2000000000001";  // SUP, SDS, MDR appointed
constexpr const char* kMpanB = "2000000000002";  // MDR2 appointed, from a future day
constexpr const char* kMpanNew = "2000000000009";
constexpr Day kToday = 20000;

struct Case {
  const char* name;
  const char* iface;
  const char* sender;
  const char* sender_role;
  std::vector<std::string> primaries;
  const char* mpan;  // nullptr: no M0.MPANCore
  const char* response_code = nullptr;
  std::vector<AppointmentChange> changes = {};
  const char* assigned_mdr = "";
  // Either the refusal code or the recipients as "id:kind" (p, s, a).
  const char* code = nullptr;
  std::vector<std::string> recipients = {};
};

class RouterTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    std::vector<Participant> ps;
    for (auto [id, role] : std::vector<std::pair<const char*, const char*>>{{kSup, "SUP"},
                                                                            {kRegs, "REGS"},
                                                                            {kSds, "SDS"},
                                                                            {kSds2, "SDS"},
                                                                            {kMdr, "MDR"},
                                                                            {kMdr2, "MDR"},
                                                                            {kLdso, "LDSO"},
                                                                            {kAlways, "MDS"},
                                                                            {kEcs, "ECS"}}) {
      Participant p;
      p.dip_id = id;
      p.role = role;
      ps.push_back(p);
    }
    registry_ = Registry::Build(std::move(ps)).value();
    policy_.pairings.emplace(kSds, kMdr);
    policy_.pairings.emplace(kSds2, kMdr2);
    policy_.opt_in.emplace(kMdr, "PUB-006");
    policy_.always["IF-021"] = {kAlways};

    const std::uint64_t a = *MpanKey(kMpanA);
    map_.Apply(a, Slot::kSupplier, parties_.Intern(kSup), kToday - 10);
    map_.Apply(a, Slot::kDataService, parties_.Intern(kSds), kToday - 10);
    map_.Apply(a, Slot::kMdr, parties_.Intern(kMdr), kToday - 10);
    const std::uint64_t b = *MpanKey(kMpanB);
    map_.Apply(b, Slot::kSupplier, parties_.Intern(kSup), kToday - 10);
    map_.Apply(b, Slot::kDataService, parties_.Intern(kSds2), kToday - 10);
    map_.Apply(b, Slot::kMdr, parties_.Intern(kMdr2), kToday + 5);
  }

  dip::Result<Route> Run(const Case& c) {
    dip::Envelope env;
    env.sender_dip_id = {dip::StrField::State::kString, c.sender};
    env.sender_role_id = {dip::StrField::State::kString, c.sender_role};
    env.has_a0 = true;
    env.primary_recipients_present = true;
    env.primary_recipients = c.primaries;
    if (c.mpan != nullptr) env.mpan_core = {dip::StrField::State::kString, c.mpan};
    env.distributor_dip_id = {dip::StrField::State::kString, kLdso};
    if (c.response_code != nullptr) {
      env.has_r0 = true;
      env.response_code = {dip::StrField::State::kString, c.response_code};
    }
    RoutingFacts facts;
    facts.changes = c.changes;
    facts.assigned_mdr = c.assigned_mdr;
    RouteContext ctx{registry_.get(), &policy_, &map_, &parties_, kToday};
    return RouteMessage(env, c.iface, facts, ctx);
  }

  std::shared_ptr<const Registry> registry_;
  Policy policy_;
  AppointmentMap map_;
  PartyTable parties_;
};

std::vector<std::string> Described(const std::vector<Recipient>& rs) {
  std::vector<std::string> out;
  for (const Recipient& r : rs) {
    const char* kind = r.kind == Recipient::Kind::kPrimary     ? "p"
                       : r.kind == Recipient::Kind::kSecondary ? "s"
                                                               : "a";
    out.push_back(r.dip_id + ":" + kind);
  }
  return out;
}

TEST_P(RouterTest, Rule) {
  const Case& c = GetParam();
  dip::Result<Route> r = Run(c);
  if (c.code != nullptr) {
    ASSERT_FALSE(r.ok()) << "expected " << c.code;
    EXPECT_EQ(r.status().code(), c.code) << r.status().help();
    EXPECT_FALSE(r.status().help().empty());
    return;
  }
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Described(r.value().recipients), c.recipients);
}

AppointmentChange Appoint(Slot slot, const char* party, Day from) {
  return {slot, party, from, ""};
}
AppointmentChange Vacate(Slot slot, const char* leaving, Day from) {
  return {slot, "", from, leaving};
}

const Case kCases[] = {
    // Primary recipients.
    {.name = "PrimaryInOrderNamed",
     .iface = "IF-061",
     .sender = kSds,
     .sender_role = "SDS",
     .primaries = {kMdr},
     .mpan = kMpanA,
     .assigned_mdr = kMdr,
     .recipients = {"1200000001:p"}},
    {.name = "PrimaryNotRegistered",
     .iface = "IF-061",
     .sender = kSds,
     .sender_role = "SDS",
     .primaries = {"1999999999"},
     .mpan = kMpanA,
     .assigned_mdr = kMdr,
     .code = "MSG1031"},
    {.name = "PrimaryWrongRole",
     .iface = "IF-061",
     .sender = kSds,
     .sender_role = "SDS",
     .primaries = {kSup},
     .mpan = kMpanA,
     .assigned_mdr = kMdr,
     .code = "MSG1032"},
    {.name = "NoPrimaryOnSenderAddressed",
     .iface = "IF-061",
     .sender = kSds,
     .sender_role = "SDS",
     .primaries = {},
     .mpan = kMpanA,
     .code = "MSG1030"},
    // A0 is optional in the spec's schemas: without primaries, a publication not routed by MPAN
    // goes to its always recipients (IF-021 has one here).
    {.name = "NoPrimaryGoesToTheAlwaysRecipients",
     .iface = "IF-021",
     .sender = kSds,
     .sender_role = "SDS",
     .primaries = {},
     .mpan = kMpanA,
     .recipients = {"1600000001:a"}},
    {.name = "ReportsAnyRole",
     .iface = "REP-002",
     .sender = kEcs,
     .sender_role = "ECS",
     .primaries = {kSup, kSup},
     .mpan = nullptr,
     .recipients = {"1300000001:p"}},
    // Pairings (BP017).
    {.name = "UnpairedMdrRefused",
     .iface = "IF-061",
     .sender = kSds,
     .sender_role = "SDS",
     .primaries = {kMdr2},
     .mpan = kMpanA,
     .assigned_mdr = kMdr2,
     .code = "MSG1030"},
    {.name = "B019MdrMustBePaired",
     .iface = "IF-061",
     .sender = kSds,
     .sender_role = "SDS",
     .primaries = {kMdr},
     .mpan = kMpanA,
     .assigned_mdr = kMdr2,
     .code = "MSG1030"},
    {.name = "PairedMdrToSds",
     .iface = "IF-064",
     .sender = kMdr,
     .sender_role = "MDR",
     .primaries = {kSds},
     .mpan = kMpanA,
     .recipients = {"1100000001:p"}},
    {.name = "MdrNotAssignedToMpan",
     .iface = "IF-064",
     .sender = kMdr,
     .sender_role = "MDR",
     .primaries = {kSds},
     .mpan = kMpanB,
     .code = "MSG1038"},
    {.name = "MdrUnknownMpan",
     .iface = "IF-065",
     .sender = kMdr,
     .sender_role = "MDR",
     .primaries = {kSds},
     .mpan = kMpanNew,
     .code = "MSG1038"},
    {.name = "PendingMdrMaySend",
     .iface = "IF-064",
     .sender = kMdr2,
     .sender_role = "MDR",
     .primaries = {kSds2},
     .mpan = kMpanB,
     .recipients = {"1100000002:p"}},
    {.name = "SdsReadingRequestToPairedMdr",
     .iface = "IF-065",
     .sender = kSds,
     .sender_role = "SDS",
     .primaries = {kMdr},
     .mpan = kMpanA,
     .recipients = {"1200000001:p"}},
    // Secondary recipients by MPAN.
    {.name = "SecondaryByRole",
     .iface = "IF-009",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {},
     .mpan = kMpanA,
     .recipients = {"1300000001:s", "1100000001:s", "1500000001:s"}},
    {.name = "MpanMissing",
     .iface = "IF-009",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {},
     .mpan = nullptr,
     .code = "MSG1037"},
    {.name = "MpanUnknown",
     .iface = "IF-009",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {},
     .mpan = kMpanNew,
     .code = "MSG1037"},
    {.name = "MpanMalformed",
     .iface = "IF-009",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {},
     .mpan = "20000",
     .code = "MSG1037"},
    {.name = "NoPartyFits",
     .iface = "IF-020",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {},
     .mpan = kMpanNew,
     .changes = {Appoint(Slot::kMdr, kMdr, kToday + 1)},
     .code = "MSG1038"},
    {.name = "PrimaryAndSecondaryOnce",
     .iface = "IF-009",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {kSds},
     .mpan = kMpanA,
     .recipients = {"1100000001:p", "1300000001:s", "1500000001:s"}},
    // MDR opt-in: MDR1 opted in to PUB-006 and not to PUB-008.
    {.name = "OptedInMdrReceives",
     .iface = "IF-006",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {},
     .mpan = kMpanA,
     .recipients = {"1300000001:s", "1100000001:s", "1200000001:s", "1500000001:s"}},
    {.name = "OptedOutMdrDoesNot",
     .iface = "IF-008",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {},
     .mpan = kMpanA,
     .recipients = {"1300000001:s", "1100000001:s", "1500000001:s"}},
    // Responses: a rejection goes only to the originator; an acceptance to it and the
    // secondary subscribers.
    {.name = "RejectionOnlyToOriginator",
     .iface = "IF-032",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {kSup},
     .mpan = kMpanA,
     .response_code = "R",
     .recipients = {"1300000001:p"}},
    {.name = "RejectionNeedsOriginator",
     .iface = "IF-032",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {},
     .mpan = kMpanA,
     .response_code = "R",
     .code = "MSG1030"},
    {.name = "AcceptanceToOriginatorAndSecondary",
     .iface = "IF-035",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {kSup},
     .mpan = kMpanA,
     .response_code = "A",
     .recipients = {"1300000001:p", "1100000001:s", "1200000001:s"}},
    // Always recipients.
    {.name = "AlwaysRecipient",
     .iface = "IF-021",
     .sender = kSds,
     .sender_role = "SDS",
     .primaries = {kSup},
     .mpan = kMpanA,
     .recipients = {"1300000001:p", "1600000001:a"}},
    // Appointments carried by the message route to the parties they name.
    {.name = "AppointmentOfNewMpan",
     .iface = "IF-036",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {},
     .mpan = kMpanNew,
     .changes = {Appoint(Slot::kDataService, kSds2, kToday + 1)},
     .recipients = {"1100000002:s", "1500000001:s"}},
    {.name = "AppointmentEffectiveTodayReplacesHolder",
     .iface = "IF-036",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {},
     .mpan = kMpanA,
     .changes = {Appoint(Slot::kDataService, kSds2, kToday)},
     .recipients = {"1300000001:s", "1100000002:s", "1200000001:s", "1500000001:s"}},
    {.name = "DeAppointmentNotifiesLeaver",
     .iface = "IF-037",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {},
     .mpan = kMpanA,
     .changes = {Vacate(Slot::kDataService, kSds, kToday)},
     .recipients = {"1300000001:s", "1100000001:s"}},
    // Sender roles (the publication table's senders): MSG1010 for a role that does not send
    // the interface.
    {.name = "SenderRoleMaySend",
     .iface = "IF-034",
     .sender = kSds,
     .sender_role = "SDS",
     .primaries = {kRegs},
     .mpan = kMpanA,
     .recipients = {"1400000001:p"}},
    {.name = "SenderRoleRefused",
     .iface = "IF-061",
     .sender = kSup,
     .sender_role = "SUP",
     .primaries = {kMdr},
     .mpan = kMpanA,
     .assigned_mdr = kMdr,
     .code = "MSG1010"},
    {.name = "RegistrationInterfaceFromSupplierRefused",
     .iface = "IF-036",
     .sender = kSup,
     .sender_role = "SUP",
     .primaries = {},
     .mpan = kMpanA,
     .code = "MSG1010"},
    {.name = "ReportFromNonCentralServiceRefused",
     .iface = "REP-002",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {kSup},
     .mpan = nullptr,
     .code = "MSG1010"},
    // A secondary recipient registered in a role that cannot hold its appointment: MSG1034.
    {.name = "SecondaryHolderInWrongRole",
     .iface = "IF-036",
     .sender = kRegs,
     .sender_role = "REGS",
     .primaries = {},
     .mpan = kMpanA,
     .changes = {Appoint(Slot::kDataService, kLdso, kToday)},
     .code = "MSG1034"},
};

INSTANTIATE_TEST_SUITE_P(Rules, RouterTest, ::testing::ValuesIn(kCases),
                         [](const auto& tp) { return std::string(tp.param.name); });

TEST_F(RouterTest, DeAppointmentOfANonHolderDoesNotApply) {
  Case c{.name = "x",
         .iface = "IF-037",
         .sender = kRegs,
         .sender_role = "REGS",
         .primaries = {},
         .mpan = kMpanA,
         .changes = {Vacate(Slot::kDataService, kSds2, kToday + 3)}};
  auto r = Run(c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r.value().changes.empty());
  c.changes = {Vacate(Slot::kDataService, kSds, kToday + 3)};
  r = Run(c);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().changes.size(), 1u);
  EXPECT_EQ(r.value().changes[0].from, kToday + 3);
}

TEST_F(RouterTest, UnknownMpanIsAppointedOnFirstSightOnlyWhenThePolicySaysSo) {
  // A supplier's IF-025 to an SDS on an MPAN the hub has never seen: MSG1037 by default; with
  // appoint_unknown_mpans the sender becomes its supplier and the primary its data service.
  Case c{.name = "x",
         .iface = "IF-025",
         .sender = kSup,
         .sender_role = "SUP",
         .primaries = {kSds},
         .mpan = kMpanNew};
  auto r = Run(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "MSG1037");
  policy_.appoint_unknown_mpans = true;
  r = Run(c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Described(r.value().recipients), std::vector<std::string>{"1100000001:p"});
  ASSERT_EQ(r.value().changes.size(), 2u);
  EXPECT_EQ(r.value().changes[0].slot, Slot::kSupplier);
  EXPECT_EQ(r.value().changes[0].party, kSup);
  EXPECT_EQ(r.value().changes[0].from, kToday);
  EXPECT_EQ(r.value().changes[1].slot, Slot::kDataService);
  EXPECT_EQ(r.value().changes[1].party, kSds);
  // A known MPAN is not re-appointed.
  c.mpan = kMpanA;
  r = Run(c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r.value().changes.empty());
  // Nobody the message names holds a slot (a REGS writing to an LDSO): still MSG1037.
  Case regs{.name = "y",
            .iface = "IF-001",
            .sender = kRegs,
            .sender_role = "REGS",
            .primaries = {kLdso},
            .mpan = kMpanNew};
  r = Run(regs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "MSG1037");
}

TEST_F(RouterTest, SenderNeverReceivesItsOwnSecondary) {
  // A deployment that lets any role send IF-009, so a supplier appointed to the MPAN sends it.
  PublicationRule rule = BuiltInRule("IF-009");
  rule.senders = 0;
  policy_.overrides["IF-009"] = rule;
  Case c{.name = "x",
         .iface = "IF-009",
         .sender = kSup,
         .sender_role = "SUP",
         .primaries = {},
         .mpan = kMpanA};
  auto r = Run(c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const Recipient& rec : r.value().recipients) EXPECT_NE(rec.dip_id, kSup);
}

TEST_F(RouterTest, SecondaryHolderInWrongRoleFromTheHubsAppointments) {
  // The hub's own map names a distributor as the MPAN's data service (an import that named the
  // wrong DIP ID): PUB-009 would reach it as a DS, so the message is refused.
  const std::uint64_t key = *MpanKey(kMpanNew);
  map_.Apply(key, Slot::kSupplier, parties_.Intern(kSup), kToday - 10);
  map_.Apply(key, Slot::kDataService, parties_.Intern(kLdso), kToday - 10);
  Case c{.name = "x",
         .iface = "IF-009",
         .sender = kRegs,
         .sender_role = "REGS",
         .primaries = {},
         .mpan = kMpanNew};
  auto r = Run(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "MSG1034");
  EXPECT_NE(r.status().help().find("\"1500000001\" holds the"), std::string::npos)
      << r.status().help();
  EXPECT_NE(r.status().help().find("registered as LDSO"), std::string::npos) << r.status().help();
}

TEST_F(RouterTest, AlwaysRecipientOutsideTheReceiverRoles) {
  // PUB-061 goes to MDRs; an always recipient registered as MDS does not fit.
  policy_.always["IF-061"] = {kAlways};
  Case c{.name = "x",
         .iface = "IF-061",
         .sender = kSds,
         .sender_role = "SDS",
         .primaries = {kMdr},
         .mpan = kMpanA,
         .assigned_mdr = kMdr};
  auto r = Run(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "MSG1036");
  EXPECT_NE(r.status().help().find("routing.always.IF-061: \"1600000001\" is registered as MDS"),
            std::string::npos)
      << r.status().help();
  // A publication with no receiver roles takes an always recipient of any role.
  policy_.always["IF-021"] = {kAlways};
  c.iface = "IF-021";
  c.primaries = {kSup};
  EXPECT_TRUE(Run(c).ok());
}

TEST_F(RouterTest, SenderRoleHelpNamesTheFieldAndTheRule) {
  Case c{.name = "x",
         .iface = "IF-061",
         .sender = kSup,
         .sender_role = "SUP",
         .primaries = {kMdr},
         .mpan = kMpanA,
         .assigned_mdr = kMdr};
  auto r = Run(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().help(), "S1.senderRoleID: \"SUP\" may not send IF-061; it is sent by SDS");
  // A deployment's override of the row lets the supplier send it.
  PublicationRule rule = BuiltInRule("IF-061");
  rule.senders = ParseRoles("SUP SDS").value();
  policy_.overrides["IF-061"] = rule;
  EXPECT_NE(Run(c).status().code(), "MSG1010");
}

TEST(ShardForTest, StableAndInRange) {
  EXPECT_EQ(ShardFor("2000000000001", 1), 0u);
  const std::size_t a = ShardFor("2000000000001", 8);
  EXPECT_LT(a, 8u);
  EXPECT_EQ(ShardFor("2000000000001", 8), a);
  std::vector<int> hits(4);
  for (int i = 0; i < 1000; ++i) ++hits[ShardFor(std::to_string(2000000000000 + i), 4)];
  for (int h : hits) EXPECT_GT(h, 150);  // spread, not all on one shard
}

}  // namespace
}  // namespace diphub::routing
