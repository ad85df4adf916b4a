// The simulated participants' behaviour (adapters/sim/participant.h): the MDR's answers and
// rules, its consumption schedule, the rates drawn from a seed, outages, and that what they
// send passes the hub's level-1 envelope checks.
#include <gtest/gtest.h>

#include "adapters/sim/config.h"
#include "adapters/sim/participant.h"
#include "dip/envelope.h"
#include "dip/l1.h"

namespace diphub::adapters::sim {
namespace {

constexpr const char* kSds = "1100000001";
constexpr const char* kMdr = "1200000001";
constexpr const char* kMpan = "2000056535971";
const dip::Clock::time_point kNow = dip::Clock::now();

std::string MpidOf(std::string_view id) { return id == kMdr ? "DMDR" : "DSDS"; }

SimParticipant Make(Behaviour b, const std::string& id, const std::string& role,
                    std::uint64_t seed = 1, SimParticipantConfig c = {}) {
  c.dip_id = id;
  c.behaviour = b;
  return SimParticipant(c, seed, role, MpidOf);
}

// `o` as a simulated participant would receive it (the hub passes the payload through).
Received Deliver(Outgoing o) {
  if (o.reference.empty()) o.reference = Reference(o, kNow, "R1");
  auto parsed = ParseDelivery(RenderMessage(o, kNow));
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.value().at(0);
}

Outgoing MdrStartFromSds(const std::string& named_mdr, const std::string& mpan = kMpan) {
  SimParticipant sds = Make(Behaviour::kSds, kSds, "SDS");
  auto o = sds.Compose("IF-061", "", mpan, {named_mdr}, "", "", kNow);
  EXPECT_TRUE(o.ok()) << o.status().ToString();
  return o.value();
}

TEST(SimMdr, AcceptsMdrStartAndCollectsUntilStopped) {
  SimParticipant mdr = Make(Behaviour::kMdr, kMdr, "MDR");
  std::vector<Outgoing> answer = mdr.OnReceived(Deliver(MdrStartFromSds(kMdr)), kNow);
  ASSERT_EQ(answer.size(), 1u);
  const Outgoing& r = answer[0];
  EXPECT_EQ(r.interface_id, "IF-062");
  EXPECT_EQ(r.event, "[MDRStartResponse]");
  EXPECT_EQ(r.response_code, "A");
  EXPECT_EQ(r.primary_recipients, std::vector<std::string>{kSds});
  EXPECT_EQ(r.correlation_id, Reference(MdrStartFromSds(kMdr), kNow, "R1"));
  EXPECT_EQ(CustomField(r.custom_block, "B019", "assignedMDRDIPID"), kMdr);
  EXPECT_TRUE(HasBlock(r.custom_block, "B068"));

  std::vector<Outgoing> consumption = mdr.Consumption(kNow);
  ASSERT_EQ(consumption.size(), 1u);
  EXPECT_EQ(consumption[0].interface_id, "IF-064");
  EXPECT_EQ(consumption[0].mpan, kMpan);
  EXPECT_EQ(consumption[0].primary_recipients, std::vector<std::string>{kSds});
  EXPECT_TRUE(HasBlock(consumption[0].custom_block, "B941List"));

  SimParticipant sds = Make(Behaviour::kSds, kSds, "SDS");
  auto stop = sds.Compose("IF-063", "", kMpan, {kMdr}, "", "", kNow);
  ASSERT_TRUE(stop.ok());
  EXPECT_TRUE(mdr.OnReceived(Deliver(stop.value()), kNow).empty());
  EXPECT_TRUE(mdr.Consumption(kNow).empty());
}

TEST(SimMdr, RejectsByRule) {
  SimParticipantConfig c;
  c.mpans = {kMpan, "2000000000009"};
  c.reject_mpans = {"2000000000009"};
  c.reject_code = "DS001 - Supplier Nominated MDR Invalid/Unsupported";
  SimParticipant mdr = Make(Behaviour::kMdr, kMdr, "MDR", 1, c);

  auto answer = [&](const Outgoing& request) {
    std::vector<Outgoing> a = mdr.OnReceived(Deliver(request), kNow);
    EXPECT_EQ(a.size(), 1u);
    return a.empty() ? Outgoing{} : a[0];
  };
  Outgoing other_mdr = answer(MdrStartFromSds("1200000002"));
  EXPECT_EQ(other_mdr.response_code, "R");
  EXPECT_EQ(other_mdr.response_messages,
            std::vector<std::string>{"RCP1064 - MDR provided not valid"});
  Outgoing unknown = answer(MdrStartFromSds(kMdr, "2000000000001"));
  EXPECT_EQ(unknown.response_code, "R");
  EXPECT_EQ(unknown.response_messages,
            std::vector<std::string>{"RCP1061 - MPAN Invalid or Unknown"});
  Outgoing listed = answer(MdrStartFromSds(kMdr, "2000000000009"));
  EXPECT_EQ(listed.response_code, "R");
  EXPECT_EQ(listed.response_messages, std::vector<std::string>{c.reject_code});
  EXPECT_EQ(answer(MdrStartFromSds(kMdr)).response_code, "A");
  // Only the accepted MPAN is collected.
  ASSERT_EQ(mdr.collecting().size(), 1u);
  EXPECT_EQ(mdr.collecting().begin()->first, kMpan);
}

// The accept/reject sequence of `n` IF-061s to an MDR with `rate` and `seed`.
std::string Decisions(std::uint64_t seed, double rate, int n) {
  SimParticipantConfig c;
  c.reject_rate = rate;
  SimParticipant mdr = Make(Behaviour::kMdr, kMdr, "MDR", seed, c);
  Received request = Deliver(MdrStartFromSds(kMdr));
  std::string out;
  for (int i = 0; i < n; ++i) out += mdr.OnReceived(request, kNow).at(0).response_code;
  return out;
}

TEST(SimMdr, RejectRateIsDeterministicForASeed) {
  std::string a = Decisions(42, 0.3, 2000);
  EXPECT_EQ(a, Decisions(42, 0.3, 2000));
  EXPECT_NE(a, Decisions(43, 0.3, 2000));
  double rejected = static_cast<double>(std::count(a.begin(), a.end(), 'R')) / a.size();
  EXPECT_NEAR(rejected, 0.3, 0.05);
  EXPECT_EQ(Decisions(42, 0, 100), std::string(100, 'A'));
  EXPECT_EQ(Decisions(42, 1, 100), std::string(100, 'R'));
}

TEST(SimParticipantTest, MalformedRateIsDeterministicForASeed) {
  SimParticipantConfig c;
  c.malformed_rate = 0.5;
  SimParticipant a = Make(Behaviour::kMdr, kMdr, "MDR", 7, c);
  SimParticipant b = Make(Behaviour::kMdr, kMdr, "MDR", 7, c);
  int broken = 0;
  for (int i = 0; i < 1000; ++i) {
    bool x = a.DrawMalformed();
    EXPECT_EQ(x, b.DrawMalformed());
    broken += x;
  }
  EXPECT_NEAR(broken, 500, 60);
  // Participants with the same seed draw different sequences.
  c.dip_id = "1200000002";
  SimParticipant other = Make(Behaviour::kMdr, "1200000002", "MDR", 7, c);
  SimParticipant again = Make(Behaviour::kMdr, kMdr, "MDR", 7, c);
  std::string s1, s2;
  for (int i = 0; i < 64; ++i) {
    s1 += other.DrawMalformed() ? '1' : '0';
    s2 += again.DrawMalformed() ? '1' : '0';
  }
  EXPECT_NE(s1, s2);
}

TEST(SimParticipantTest, OutageWindows) {
  SimParticipantConfig c;
  c.outages = {{std::chrono::milliseconds(1000), std::chrono::milliseconds(500)}};
  SimParticipant p = Make(Behaviour::kSds, kSds, "SDS", 1, c);
  using std::chrono::milliseconds;
  EXPECT_FALSE(p.InOutage(milliseconds(999)));
  EXPECT_TRUE(p.InOutage(milliseconds(1000)));
  EXPECT_TRUE(p.InOutage(milliseconds(1499)));
  EXPECT_FALSE(p.InOutage(milliseconds(1500)));
}

TEST(SimParticipantTest, ReadingRequestIsAnsweredOnce) {
  SimParticipant mdr = Make(Behaviour::kMdr, kMdr, "MDR");
  SimParticipant sds = Make(Behaviour::kSds, kSds, "SDS");
  auto request = sds.Compose("IF-065", "", kMpan, {kMdr}, "", "", kNow);
  ASSERT_TRUE(request.ok());
  std::vector<Outgoing> reply = mdr.OnReceived(Deliver(request.value()), kNow);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].interface_id, "IF-065");
  EXPECT_EQ(reply[0].event, "[ReadingRemote]");
  EXPECT_EQ(reply[0].primary_recipients, std::vector<std::string>{kSds});
  EXPECT_TRUE(HasBlock(reply[0].custom_block, "B076List"));
  // The reading itself is taken, not answered.
  EXPECT_TRUE(sds.OnReceived(Deliver(reply[0]), kNow).empty());
}

TEST(SimRegs, PublishesAppointmentsAtStart) {
  SimParticipantConfig c;
  c.mpans = {kMpan, "2000000000002"};
  c.appoint_ds = kSds;
  c.appoint_mdr = kMdr;
  SimParticipant regs = Make(Behaviour::kRegs, "1400000001", "REGS", 1, c);
  std::vector<Outgoing> out = regs.Appointments(kNow);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].interface_id, "IF-036");
  EXPECT_EQ(out[0].event, "[DSAppActive]");
  EXPECT_TRUE(out[0].primary_recipients.empty());
  EXPECT_EQ(CustomField(out[0].custom_block, "B015", "incomingDataServiceDIPID"), kSds);
  EXPECT_EQ(CustomField(out[0].custom_block, "B019", "assignedMDRDIPID"), kMdr);
}

// `o` rendered and put through the hub's full level-1 check (envelope rules and the spec's
// schema for its event); "OK" or the refusal with the message.
std::string LevelOne(Outgoing o) {
  if (o.reference.empty()) o.reference = Reference(o, kNow, "T1");
  std::string body = RenderMessage(o, kNow);
  std::string scratch;
  dip::ParsedArray parsed = dip::ParseMessageArray(body, &scratch);
  if (!parsed.status.ok()) return parsed.status.ToString();
  if (parsed.items.size() != 1) return "not one message";
  if (!parsed.items[0].status.ok()) return parsed.items[0].status.ToString();
  dip::Status s = dip::CheckMessage(parsed.items[0].envelope, {o.interface_id, "DEV"});
  return s.ok() ? "OK" : s.ToString() + "\n" + body;
}

// Every message the simulator composes passes the hub's full level-1 check, and a malformed
// one fails it on S1.senderTimestamp.
TEST(SimMessages, PassLevelOneChecksUnlessMalformed) {
  SimParticipant mdr = Make(Behaviour::kMdr, kMdr, "MDR");
  SimParticipant sds = Make(Behaviour::kSds, kSds, "SDS");
  SimParticipantConfig rc;
  rc.appoint_ds = kSds;
  rc.appoint_mdr = kMdr;
  SimParticipant regs = Make(Behaviour::kRegs, "1400000001", "REGS", 1, rc);
  struct Case {
    SimParticipant* from;
    const char* iface;
    std::vector<std::string> to;
  } cases[] = {{&regs, "IF-035", {}},    {&regs, "IF-036", {}},    {&regs, "IF-037", {}},
               {&sds, "IF-061", {kMdr}}, {&mdr, "IF-062", {kSds}}, {&sds, "IF-063", {kMdr}},
               {&mdr, "IF-064", {kSds}}, {&sds, "IF-065", {kMdr}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.iface);
    auto o = c.from->Compose(c.iface, "", kMpan, c.to, "", "", kNow);
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    EXPECT_EQ(LevelOne(o.value()), "OK");

    Outgoing m = o.value();
    m.reference = Reference(m, kNow, "T1");
    std::string body = Malform(RenderMessage(m, kNow)), scratch;
    dip::ParsedArray bad = dip::ParseMessageArray(body, &scratch);
    ASSERT_EQ(bad.items.size(), 1u);
    dip::Status s = dip::CheckMessage(bad.items[0].envelope, {c.iface, "DEV"});
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.code(), "MSG1007");
    EXPECT_NE(s.ToString().find("S1.senderTimestamp"), std::string::npos) << s.ToString();
  }
  // A rejection composed by a scenario.
  auto rejected = mdr.Compose("IF-062", "", kMpan, {kSds}, "R", "", kNow);
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(LevelOne(rejected.value()), "OK");
  // The check is the full one: a reference off the spec's pattern is refused.
  Outgoing off_pattern = rejected.value();
  off_pattern.reference = "SIM-T-1";
  EXPECT_NE(LevelOne(off_pattern).find("MSG1001"), std::string::npos) << LevelOne(off_pattern);
  EXPECT_FALSE(mdr.Compose("IF-001", "", kMpan, {}, "", "", kNow).ok());
}

// Every message a behaviour sends on its own passes the full level-1 check: the MDR's accept
// and each kind of reject, its consumption, the readings, the registration service's
// appointments.
TEST(SimMessages, AnswersAndSchedulesPassLevelOne) {
  SimParticipantConfig c;
  c.mpans = {kMpan, "2000000000009"};
  c.reject_mpans = {"2000000000009"};
  c.reject_code = "DS001 - Supplier Nominated MDR Invalid/Unsupported";
  SimParticipant mdr = Make(Behaviour::kMdr, kMdr, "MDR", 1, c);
  SimParticipant sds = Make(Behaviour::kSds, kSds, "SDS");
  std::vector<Outgoing> sent;
  for (const Outgoing& request :
       {MdrStartFromSds(kMdr), MdrStartFromSds("1200000002"),
        MdrStartFromSds(kMdr, "2000000000001"), MdrStartFromSds(kMdr, "2000000000009")}) {
    for (Outgoing& a : mdr.OnReceived(Deliver(request), kNow)) sent.push_back(std::move(a));
  }
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[0].response_code, "A");
  EXPECT_EQ(sent[3].response_code, "R");
  for (Outgoing& a : mdr.Consumption(kNow)) sent.push_back(std::move(a));
  auto reading = sds.Compose("IF-065", "", kMpan, {kMdr}, "", "", kNow);
  ASSERT_TRUE(reading.ok());
  for (Outgoing& a : mdr.OnReceived(Deliver(reading.value()), kNow)) sent.push_back(a);
  auto asked = mdr.Compose("IF-065", "", kMpan, {kSds}, "", "", kNow);
  ASSERT_TRUE(asked.ok());
  for (Outgoing& a : sds.OnReceived(Deliver(asked.value()), kNow)) sent.push_back(a);
  SimParticipantConfig rc;
  rc.mpans = {kMpan, "2000000000002"};
  rc.appoint_ds = kSds;
  rc.appoint_mdr = kMdr;
  for (Outgoing& a : Make(Behaviour::kRegs, "1400000001", "REGS", 1, rc).Appointments(kNow)) {
    sent.push_back(std::move(a));
  }
  rc.appoint_mdr.clear();
  for (Outgoing& a : Make(Behaviour::kRegs, "1400000001", "REGS", 1, rc).Appointments(kNow)) {
    sent.push_back(std::move(a));
  }
  ASSERT_EQ(sent.size(), 11u);
  for (const Outgoing& o : sent) {
    SCOPED_TRACE(o.interface_id + " " + o.event + " " + o.response_code);
    EXPECT_EQ(LevelOne(o), "OK");
  }
}

// References follow the spec's senderUniqueReference pattern.
TEST(SimMessages, ReferencesFollowThePattern) {
  SimParticipant mdr = Make(Behaviour::kMdr, kMdr, "MDR");
  auto o = mdr.Compose("IF-062", "", kMpan, {kSds}, "", "", kNow);
  ASSERT_TRUE(o.ok());
  std::string ref = Reference(o.value(), kNow, "abc12");
  EXPECT_EQ(ref, "S-IF-062-1200000001-MDR-" + dip::FormatYyyymmdd(kNow) + "-abc12");
}

TEST(SimConfigTest, ParsesKnobsAndRefusesMistakes) {
  auto c = ParseSimConfig(YAML::Load(R"(
seed: 9
participants:
  - dip_id: "1200000001"
    behaviour: MDR
    latency_ms: 20
    reject_rate: 0.25
    malformed_rate: 0.1
    consumption_every_ms: 1000
    outages: [{after_ms: 100, for_ms: 50}]
    mpans: ["2000056535971"]
)"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c.value().seed, 9u);
  const SimParticipantConfig& p = c.value().participants.at(0);
  EXPECT_EQ(p.behaviour, Behaviour::kMdr);
  EXPECT_EQ(p.latency.count(), 20);
  EXPECT_DOUBLE_EQ(p.reject_rate, 0.25);
  EXPECT_EQ(p.consumption_every.count(), 1000);
  ASSERT_EQ(p.outages.size(), 1u);
  EXPECT_EQ(p.outages[0].after.count(), 100);

  auto error = [](const char* yaml) {
    auto r = ParseSimConfig(YAML::Load(yaml));
    return r.ok() ? std::string("accepted") : r.status().ToString();
  };
  EXPECT_NE(error("participants: [{dip_id: \"1200000001\", behaviour: MDR, rejct_rate: 1}]")
                .find("unknown key \"rejct_rate\""),
            std::string::npos);
  EXPECT_NE(error("participants: [{dip_id: \"1200000001\", behaviour: MDR, reject_rate: 2}]")
                .find("sim.participants[0].reject_rate: must be from 0 to 1"),
            std::string::npos);
  EXPECT_NE(error("participants: [{dip_id: \"1200000001\", behaviour: LDSO}]")
                .find("expected MDR, SDS or REGS"),
            std::string::npos);
  EXPECT_NE(error("participants: [{dip_id: \"1200000001\", behaviour: MDR, mpans: [\"12\"]}]")
                .find("not a 13-digit MPAN core"),
            std::string::npos);
}

}  // namespace
}  // namespace diphub::adapters::sim
