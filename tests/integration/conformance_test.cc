// Conformance over the real HTTP API, against one diphub process:
// - every (interface, event code) of the spec that can be valid: a schema-valid message (built
//   from the generated catalogue), sent by a participant of a role that sends the interface to
//   one of a role that receives it, passes POST /validate, is accepted on
//   POST /dip-channel/{id} and arrives at the recipient's webhook as its publication;
//   (IF-020 [RelatedAdd] / [RelatedRemove] included: checked against their own schemas, the
//   oneOf resolved by S0.eventCode);
// - each sender role that may not send an interface, each kind of schema rule broken alone,
//   a secondary or always recipient in the wrong role: refused with the exact code and HTTP
//   400, nothing stored.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <set>
#include <string>
#include <thread>

#include "dip/catalogue.h"
#include "dip/dip_time.h"
#include "dip/json_writer.h"
#include "dip/sample_message.h"
#include "dip/signature.h"
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

struct Party {
  std::string id, role, api_key, mpid;
};

// Every participant of the hub's config, the demo SDS, MDR (paired with it) and SUP first.
std::vector<Party> Parties() {
  std::vector<Party> out = {{"1100000001", "SDS", "demo-sds-key", "DSDS"},
                            {"1200000001", "MDR", "demo-mdr-key", "DMDR"},
                            {"1300000001", "SUP", "demo-sup-key", "DSUP"}};
  for (std::size_t i = 0; i < kOtherRoles.size(); ++i) {
    out.push_back({OtherId(i), kOtherRoles[i], "k-" + kOtherRoles[i],
                   "DX" + std::string(1, static_cast<char>('A' + i)) + "X"});
  }
  return out;
}

// The first participant in one of `roles` (any role when 0) other than `not_id`.
const Party* PartyIn(routing::RoleSet roles, const std::string& not_id = "") {
  static const std::vector<Party> kParties = Parties();
  for (const Party& p : kParties) {
    if (p.id == not_id) continue;
    if (roles == 0 || (routing::RoleBit(p.role) & roles) != 0) return &p;
  }
  return nullptr;
}

// "[MDRStart]" -> "MDRStart" for /validate/{IF}/{EventCode}.
std::string PathEvent(std::string_view code) {
  if (code.size() >= 2 && code.front() == '[' && code.back() == ']') {
    code = code.substr(1, code.size() - 2);
  }
  return std::string(code);
}

// An IF-061 [MDRStart] with `ref`, `from` replaced by `to`, sent with `key`, must be refused with
// 400, `code` and `help`; the unchanged message with the same reference is then accepted, so
// nothing of the refused one was stored.
void ExpectRefusedAndNothingStored(HubProcess& hub, const std::string& name, const std::string& ref,
                                   const std::string& from, const std::string& to,
                                   const std::string& key, const std::string& code,
                                   const std::string& help) {
  HttpResult r = hub.Send("IF-061", Replace(MdrStart(ref), from, to), key);
  EXPECT_EQ(r.status, 400) << name << ": " << r.body;
  EXPECT_NE(r.body.find("\"message\":\"" + code), std::string::npos) << name << ": " << r.body;
  EXPECT_NE(r.body.find(help), std::string::npos) << name << ": " << r.body;
  HttpResult ok = hub.Send("IF-061", MdrStart(ref));
  EXPECT_EQ(ok.status, 201) << name << ": the refused message must not be stored: " << ok.body;
}

// One planned message: who sends it to whom, and the message itself.
struct Planned {
  const gen::EventRow* row;
  Party sender, recipient;
  std::string reference;
  std::string message;  // {"payload": ...}
};

class Conformance : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string extra;
    for (std::size_t i = 0; i < kOtherRoles.size(); ++i) {
      const Party p = Parties()[3 + i];  // a copy: Parties() returns a temporary
      extra += "  - {dip_id: \"" + p.id + "\", role: " + p.role + ", mpid: " + p.mpid +
               ", api_key: " + p.api_key + ", webhooks: {\"*\": \"" + Webhook(p.id) + "\"}}\n";
    }
    hub_ = std::make_unique<HubProcess>(dir_, Webhook("1200000001"), extra);
    for (const char* id_key : {"1100000001\", role: SDS, mpid: DSDS, api_key: demo-sds-key",
                               "1300000001\", role: SUP, mpid: DSUP, api_key: demo-sup-key"}) {
      const std::string id(id_key, 10);
      ASSERT_TRUE(
          hub_->EditConfig(std::string(id_key) + "}",
                           std::string(id_key) + ", webhooks: {\"*\": \"" + Webhook(id) + "\"}}"));
    }
    std::string error;
    ASSERT_TRUE(hub_->Start(&error)) << error;
    Import(kMpan, "1300000001", "1100000001", OtherId(4), "1200000001");
  }

  // Gives `party` a fresh certificate through the admin API (its other settings unchanged).
  dip::KeyAndCertificate Certify(const Party& party) {
    auto kc = dip::GenerateSelfSigned(party.id).value();
    dip::JsonWriter w;
    w.BeginObject().Key("role").String(party.role).Key("mpid").String(party.mpid);
    w.Key("api_key").String(party.api_key).Key("certificate").String(kc.cert_pem);
    w.Key("webhooks").BeginObject().Key("*").String(Webhook(party.id)).EndObject().EndObject();
    HttpResult r = hub_->Call("PUT", "/admin/participants/" + party.id, w.str(),
                              {{"Authorization", "Bearer test-admin"}});
    EXPECT_EQ(r.status, 200) << r.body;
    return kc;
  }

  // Sends `body` on `channel` as `party`: its X-API-Key, and X-DIP signature headers made with
  // its certificate the way DIP clients make them.
  HttpResult SendSigned(const Party& party, const dip::KeyAndCertificate& kc,
                        const std::string& channel, const std::string& body) {
    const std::string path = "/dip-channel/" + channel;
    const std::string url = "http://127.0.0.1:" + std::to_string(hub_->http_port()) + path;
    auto signer = dip::Signer::FromPem(kc.key_pem, kc.cert_pem).value();
    dip::SignatureHeaders h =
        signer->SignRequest("POST", url, body, dip::FormatSignatureDate(dip::Clock::now()));
    return HttpRequest("127.0.0.1", hub_->http_port(), "POST", path, body,
                       {{"Content-Type", "application/json"},
                        {"X-API-Key", party.api_key},
                        {"X-DIP-Signature-Date", h.date},
                        {"X-DIP-Content-Hash", h.content_hash},
                        {"X-DIP-Signature-Certificate", h.certificate},
                        {"X-DIP-Signature", h.signature}});
  }

  // Each participant's webhook: the one sink, a path per participant.
  std::string Webhook(const std::string& id) { return sink_.Url() + "/" + id; }

  void Import(const std::string& mpan, const std::string& sup, const std::string& ds,
              const std::string& ms, const std::string& mdr) {
    HttpResult imported =
        hub_->Call("POST", "/admin/appointments",
                   "MPANCore,role,DIPID,effectiveFromDate\n" + mpan + ",SUP," + sup +
                       ",2020-01-01\n" + mpan + ",SDS," + ds + ",2020-01-01\n" + mpan + ",MSS," +
                       ms + ",2020-01-01\n" + mpan + ",MDR," + mdr + ",2020-01-01\n",
                   {{"Authorization", "Bearer test-admin"}});
    ASSERT_EQ(imported.status, 200) << imported.body;
  }

  // A schema-valid message of `row` from `sender` to `recipient`, on `mpan` (M0, or M1 where
  // the spec has it instead). Fields that appoint parties name the registered ones already
  // appointed, so the MPAN's appointments stay as imported; de-appointments name a party that
  // holds nothing.
  // `accept`: an R0 block, where the event has one, says "A" (a rejection, "R", goes only to
  // the primary recipient).
  Planned Plan(const gen::EventRow& row, const Party& sender, const Party& recipient,
               const std::string& tag, const std::string& mpan = kMpan, bool accept = false) {
    Planned p{&row, sender, recipient, {}, {}};
    std::string_view iface = row.interface_id;
    std::string number(iface.substr(iface.find('-') + 1, 3));
    p.reference = "S-" + std::string(iface.substr(0, iface.find('-') + 1)) + number + "-" +
                  sender.id + "-" + sender.role + "-20261122-" + tag;
    dip::SampleOptions options;
    options.seed = static_cast<std::uint32_t>(&row - gen::kEvents) + 1;
    options.optional_share = 0;
    options.null_share = 0;
    options.fixed = dip::HubEnvelope(sender.id, sender.role, "DEV");
    auto fix = [&](const std::string& path, const std::string& id) {
      options.fixed.emplace_back(path, "\"" + id + "\"");
    };
    fix("CommonBlock.S1.senderUniqueReference", p.reference);
    options.fixed.emplace_back("CommonBlock.A0.primaryRecipients", "[\"" + recipient.id + "\"]");
    fix("CommonBlock.M0.MPANCore", mpan);
    fix("CommonBlock.M1.principalMPAN", mpan);
    if (accept) fix("CommonBlock.R0.responseCode", "A");
    fix("CustomBlock.B002.incomingSupplierDIPID", "1300000001");
    for (const char* block : {"B011", "B015", "B017"}) {
      fix("CustomBlock." + std::string(block) + ".incomingDataServiceDIPID", "1100000001");
    }
    for (const char* block : {"B010", "B014", "B016"}) {
      fix("CustomBlock." + std::string(block) + ".incomingMeteringServiceDIPID", OtherId(4));
    }
    fix("CustomBlock.B019.assignedMDRDIPID", "1200000001");
    fix("CustomBlock.B092.assignedMDRDIPID", "1200000001");
    fix("CustomBlock.B009.deAppointedDataServiceDIPID", "1999999999");
    fix("CustomBlock.B008.deAppointedMeteringServiceDIPID", "1999999999");
    fix("CustomBlock.B083.assignedMDRDIPID", "1299999999");
    p.message = dip::SampleMessage(row, options);
    return p;
  }

  // The plan for every (interface, event) of the spec: the sender is the first participant in
  // a role that sends the interface, the recipient the first other one in a role that receives
  // its publication (the demo SDS and MDR, paired, for IF-061…065).
  std::vector<Planned> PlanAll() {
    std::vector<Planned> out;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < gen::kEventCount; ++i) {
      const gen::EventRow& row = gen::kEvents[i];
      // An event the spec lists in several variants is planned from its own (its /validate
      // path's schema), which is the one the hub checks it against.
      const char* own = dip::OwnVariant(row.interface_id, row.event_code);
      if (own != nullptr && std::string_view(row.variant) != own) continue;
      if (!seen.insert(std::string(row.interface_id) + row.event_code).second) continue;
      const routing::PublicationRule rule = routing::BuiltInRule(row.interface_id);
      const Party* sender = PartyIn(rule.senders);
      const Party* recipient = sender ? PartyIn(rule.receivers, sender->id) : nullptr;
      EXPECT_TRUE(sender && recipient) << row.interface_id << ": no participant fits";
      if (sender && recipient)
        out.push_back(Plan(row, *sender, *recipient, "c" + std::to_string(i)));
    }
    return out;
  }

  // Waits until every reference of `wanted` (reference -> recipient DIP ID) has reached that
  // recipient's webhook; returns what arrived there: reference -> publication IDs.
  std::map<std::string, std::set<std::string>> Delivered(
      const std::map<std::string, std::string>& wanted, std::chrono::milliseconds timeout) {
    std::map<std::string, std::set<std::string>> got;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      got.clear();
      simdjson::dom::parser parser;
      for (const adapters::http::SinkDelivery& d : sink_.WaitFor(1, 100ms)) {
        const std::string recipient = d.target.substr(d.target.rfind('/') + 1);
        simdjson::dom::array messages;
        if (parser.parse(d.body).get_array().get(messages)) continue;
        for (simdjson::dom::element m : messages) {
          std::string_view ref, pub;
          if (m.at_pointer("/payload/CommonBlock/S1/senderUniqueReference").get(ref) ||
              m.at_pointer("/payload/CommonBlock/D0/publicationID").get(pub)) {
            continue;
          }
          auto it = wanted.find(std::string(ref));
          if (it != wanted.end() && it->second == recipient) got[it->first].emplace(pub);
        }
      }
      if (got.size() >= wanted.size()) break;
      std::this_thread::sleep_for(100ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return got;
  }

  TempDir dir_;
  RecordingSink sink_;
  std::unique_ptr<HubProcess> hub_;
};

TEST_F(Conformance, EveryEventOfTheSpecIsAcceptedAndDelivered) {
  // Every participant signs its sends with its own registered certificate; a signature that
  // did not verify, or was not the sender's, would be refused (RCP9999).
  const std::vector<Planned> plan = PlanAll();
  std::map<std::string, dip::KeyAndCertificate> certificates;
  for (const Planned& p : plan) {
    if (!certificates.contains(p.sender.id)) certificates[p.sender.id] = Certify(p.sender);
  }
  std::map<std::pair<std::string, std::string>, std::vector<const Planned*>> batches;
  for (const Planned& p : plan) {
    const std::string event = std::string(p.row->interface_id) + " " + p.row->event_code;
    HttpResult v = hub_->Call(
        "POST",
        "/validate/" + std::string(p.row->interface_id) + "/" + PathEvent(p.row->event_code),
        "[" + p.message + "]", {{"X-API-Key", p.sender.api_key}});
    batches[{p.row->interface_id, p.sender.id}].push_back(&p);
    if (!dip::HasValidatePath(p.row->interface_id, p.row->event_code)) {
      // IF-016, IF-047 and the REP reports: the spec has no /validate path for them.
      EXPECT_EQ(v.status, 404) << event << ": " << v.body;
      continue;
    }
    EXPECT_EQ(v.status, 201) << event << " from " << p.sender.role << " to " << p.recipient.role
                             << ": " << v.body;
    EXPECT_TRUE(v.headers["X-DIPHub-Routing"].starts_with("MSG0000 - Success: a send would reach "))
        << event << ": " << v.headers["X-DIPHub-Routing"];
  }

  // One send per (interface, sender): every event of the interface in one array.
  std::map<std::string, std::string> wanted;  // reference -> recipient
  for (const auto& [key, items] : batches) {
    std::string body = "[";
    for (const Planned* p : items) body += (body.size() > 1 ? "," : "") + p->message;
    body += "]";
    const Party& sender = items.front()->sender;
    HttpResult r = SendSigned(sender, certificates[sender.id], key.first, body);
    EXPECT_EQ(r.status, 201) << key.first << " from " << key.second << ": " << r.body;
    if (r.status != 201) continue;
    for (const Planned* p : items) wanted[p->reference] = p->recipient.id;
  }

  const auto got = Delivered(wanted, 30s);
  std::size_t delivered = 0;
  for (const auto& [key, items] : batches) {
    for (const Planned* p : items) {
      const std::string pub = dip::PublicationId(p->row->interface_id);
      auto it = got.find(p->reference);
      if (it == got.end()) {
        ADD_FAILURE() << p->row->interface_id << " " << p->row->event_code << " (" << p->reference
                      << ") did not reach " << p->recipient.id;
        continue;
      }
      EXPECT_EQ(it->second, std::set<std::string>{pub}) << p->reference;
      ++delivered;
    }
  }
  std::cout << "conformance: " << plan.size() << " (interface, event) pairs, " << delivered
            << " accepted and delivered in " << batches.size() << " sends\n";
  EXPECT_EQ(delivered, plan.size());
  EXPECT_GE(plan.size(), 140u);
}

TEST_F(Conformance, IF020IsRoutedByItsPrincipalMpan) {
  // IF-020 carries M1 (principal MPAN) and no M0; PUB-020 reaches the supplier appointed to the
  // principal MPAN, and an unknown principal MPAN is MSG1037 naming M1.principalMPAN.
  const gen::EventRow* row = dip::FindEvent("IF-020", "[LinkedImportExportCreate]");
  ASSERT_NE(row, nullptr);
  const Party* regs = PartyIn(routing::RoleBit("REGS"));
  const Party* sup = PartyIn(routing::RoleBit("SUP"));
  Planned p = Plan(*row, *regs, *sup, "m1", kMpan, true);
  ASSERT_EQ(p.message.find("\"M0\""), std::string::npos) << p.message;
  // No primary recipient: the supplier is found from the principal MPAN alone.
  const std::string to_sup = "\"primaryRecipients\":[\"1300000001\"]";
  const std::string secondary_only =
      p.message.replace(p.message.find(to_sup), to_sup.size(), "\"primaryRecipients\":[]");
  HttpResult r = hub_->Send("IF-020", "[" + secondary_only + "]", regs->api_key);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Delivered({{p.reference, "1300000001"}}, 10s).size(), 1u);

  Planned unknown = Plan(*row, *regs, *sup, "m2", "2999999999999", true);
  const std::string none = unknown.message.replace(unknown.message.find(to_sup), to_sup.size(),
                                                   "\"primaryRecipients\":[]");
  r = hub_->Send("IF-020", "[" + none + "]", regs->api_key);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("\"message\":\"MSG1037"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("M1.principalMPAN: MPAN 2999999999999 has no appointments"),
            std::string::npos)
      << r.body;
}

TEST_F(Conformance, EachInterfaceRefusesASenderRoleThatDoesNotSendIt) {
  // For every interface whose senders the table restricts: a message that is valid in every
  // other way, from the first participant in another role, is MSG1010 with HTTP 400.
  std::set<std::string> seen;
  std::vector<std::string> refused;
  for (std::size_t i = 0; i < gen::kEventCount; ++i) {
    const gen::EventRow& row = gen::kEvents[i];
    if (!seen.insert(row.interface_id).second) continue;
    const routing::PublicationRule rule = routing::BuiltInRule(row.interface_id);
    ASSERT_NE(rule.senders, 0u) << row.interface_id << " has no sender roles in the table";
    // The first participant outside the sender roles that has someone to send to.
    const Party* wrong = nullptr;
    const Party* recipient = nullptr;
    for (const Party& candidate : Parties()) {
      if ((routing::RoleBit(candidate.role) & rule.senders) != 0) continue;
      recipient = PartyIn(rule.receivers, candidate.id);
      if (recipient != nullptr) {
        wrong = PartyIn(routing::RoleBit(candidate.role));
        break;
      }
    }
    ASSERT_TRUE(wrong && recipient) << row.interface_id;
    Planned p = Plan(row, *wrong, *recipient, "w" + std::to_string(i));
    HttpResult r = hub_->Send(row.interface_id, "[" + p.message + "]", wrong->api_key);
    EXPECT_EQ(r.status, 400) << row.interface_id << ": " << r.body;
    EXPECT_NE(r.body.find("\"message\":\"MSG1010 - Sender Role Invalid\""), std::string::npos)
        << row.interface_id << ": " << r.body;
    EXPECT_NE(
        r.body.find("S1.senderRoleID: \\\"" + wrong->role + "\\\" may not send " +
                    row.interface_id + "; it is sent by " + routing::RolesToString(rule.senders)),
        std::string::npos)
        << r.body;
    refused.push_back(p.reference);
  }
  EXPECT_GE(refused.size(), 50u);
  // Nothing of them was stored: once a valid message sent after them has been delivered, none
  // of them has arrived anywhere.
  const std::string after = "S-IF-061-1100000001-SDS-20261122-after";
  HttpResult ok = hub_->Send("IF-061", MdrStart(after));
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(Delivered({{after, "1200000001"}}, 10s).size(), 1u);
  for (const adapters::http::SinkDelivery& d : sink_.WaitFor(1, 100ms)) {
    for (const std::string& ref : refused) {
      EXPECT_EQ(d.body.find(ref), std::string::npos) << ref << " was delivered";
    }
  }
}

TEST_F(Conformance, SenderIdentityRulesAreRefusedWithTheirCodes) {
  // A sender sends only as itself: its own DIP ID (MSG1009), its registered role (MSG1010), a
  // registered connection provider (MSG1011). Each refused with HTTP 400, nothing stored: the
  // corrected message with the same reference is accepted afterwards.
  struct Case {
    std::string name, from, to, key, code, help;
  };
  const std::vector<Case> cases = {
      {"another participant's DIP ID (the supplier's key)", "\"senderDIPID\":\"1100000001\"",
       "\"senderDIPID\":\"1100000001\"", "demo-sup-key", "MSG1009",
       "S1.senderDIPID: \\\"1100000001\\\" is not the participant of this X-API-Key"},
      {"another role", "\"senderRoleID\":\"SDS\"", "\"senderRoleID\":\"MDR\"", "demo-sds-key",
       "MSG1010", "S1.senderRoleID: 1100000001 is registered as SDS, got \\\"MDR\\\""},
      {"unregistered connection provider", "\"DIPConnectionProviderID\":null",
       "\"DIPConnectionProviderID\":\"1999999999\"", "demo-sds-key", "MSG1011",
       "S1.DIPConnectionProviderID: \\\"1999999999\\\" is not a registered DIP ID"},
  };
  int n = 0;
  for (const Case& c : cases) {
    const std::string ref = "S-IF-061-1100000001-SDS-20261122-id" + std::to_string(++n);
    ExpectRefusedAndNothingStored(*hub_, c.name, ref, c.from, c.to, c.key, c.code, c.help);
  }
}

TEST_F(Conformance, SecondaryRecipientInAWrongRoleIsRefused) {
  // The hub's appointments name the registered MDR as the data service of an MPAN (an import
  // that named the wrong DIP ID): PUB-009 would reach it as a DS. MSG1034, nothing stored.
  Import("2000000000002", "1300000001", "1200000001", OtherId(4), "1200000001");
  const gen::EventRow* row = dip::FindEvent("IF-009", "[MPANDisconnection]");
  ASSERT_NE(row, nullptr);
  Planned p = Plan(*row, *PartyIn(routing::RoleBit("REGS")), *PartyIn(routing::RoleBit("SUP")),
                   "s1", "2000000000002", true);
  HttpResult r = hub_->Send("IF-009", "[" + p.message + "]", p.sender.api_key);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("\"message\":\"MSG1034 - Secondary Recipient(s) DIP Role ID Invalid\""),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("\\\"1200000001\\\" holds the"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("registered as MDR"), std::string::npos) << r.body;
  // On the MPAN with the right appointments, the same message (same reference) is accepted:
  // the refused one was not stored.
  Planned good = Plan(*row, p.sender, p.recipient, "s1", kMpan, true);
  r = hub_->Send("IF-009", "[" + good.message + "]", p.sender.api_key);
  EXPECT_EQ(r.status, 201) << r.body;
}

TEST(ConformanceAlways, AlwaysRecipientInAWrongRoleIsRefused) {
  // routing.always names the supplier for IF-061, whose publication goes to MDRs: MSG1036.
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  ASSERT_TRUE(hub.EditConfig("routing:\n", "routing:\n  always: {IF-061: [\"1300000001\"]}\n"));
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  const std::string ref = "S-IF-061-1100000001-SDS-20261122-always1";
  HttpResult r = hub.Send("IF-061", MdrStart(ref));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("\"message\":\"MSG1036 - Always Recipient(s) DIP Role ID Invalid\""),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("routing.always.IF-061: \\\"1300000001\\\" is registered as SUP; "
                        "PUB-061 goes to MDR"),
            std::string::npos)
      << r.body;
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink.count(), 0u);
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
    ExpectRefusedAndNothingStored(*hub_, c.name, ref, c.from, c.to, "demo-sds-key", c.code, c.help);
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
