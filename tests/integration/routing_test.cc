// Routing with real participants over HTTP (issue #4): a supplier, a registration service, an
// SDS and two MDRs, each with its own webhook. Appointments come from a CSV import and from a
// PUB-036 the registration service sends; the journal's Addressing row shows each routing
// decision, the webhooks show the deliveries.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSds = "1100000001";
constexpr const char* kMdr = "1200000001";   // paired with the SDS
constexpr const char* kMdr2 = "1200000002";  // not paired
constexpr const char* kSup = "1300000001";
constexpr const char* kRegs = "1400000001";
constexpr const char* kMpanA = "2000000000001";  // SUP, SDS, MDR appointed (CSV)
constexpr const char* kMpanB = "2000000000002";  // SUP, SDS, MDR2 appointed (CSV)
constexpr const char* kMpanC = "2000000000003";  // appointed by the REGS's PUB-036
const std::map<std::string, std::string> kAdmin{{"Authorization", "Bearer test-admin"}};

struct Msg {
  std::string iface, event, ref, sender, role;
  std::vector<std::string> primaries;
  std::string mpan;
  std::string response_code = "";  // "" = no R0
  // A schema-valid IF-006 [MeterUpdate] custom block; other events set their own.
  std::string custom = R"({"B906":{"existingMeter":{"meterID":"","modifiedMeterID":"M0001",
    "meterType":"2AF","manufacturersMakeAndType":"v","ESMEGUID":"G0001","meterLocation":"I",
    "numberOfDisplayedRegisterDigits":5,"meterInstallationDate":"2026-11-22T09:30:00+00:00"}}})";
};

std::string Body(const Msg& m) {
  std::string primaries;
  for (const std::string& p : m.primaries)
    primaries += (primaries.empty() ? "\"" : ",\"") + p + "\"";
  std::string r0 = m.response_code.empty() ? ""
                                           : R"(,"R0":{"responseCode":")" + m.response_code +
                                                 R"(","responseMessages":[]})";
  return R"([{"payload":{"CommonBlock":{
  "S0":{"interfaceID":")" +
         m.iface + R"(","schemaVersion":"011","eventCode":")" + m.event + R"("},
  "S1":{"environmentTag":"DEV","subText":null,"senderUniqueReference":")" +
         m.ref + R"(",
        "senderTimestamp":"2026-11-22T09:30:00+00:00","senderDIPID":")" +
         m.sender + R"(",
        "senderRoleID":")" +
         m.role + R"(","senderCorrelationID":null,"DIPConnectionProviderID":null},
  "A0":{"primaryRecipients":[)" +
         primaries + R"(],"secondaryRecipients":[],"always":[]},
  "M0":{"MPANCore":")" +
         m.mpan + R"(","distributorDIPID":"1009012345","GSPGroupID":"_K"})" + r0 +
         R"(},
 "CustomBlock":)" +
         m.custom + "}}]";
}

// Messages `sink` received (deliveries may batch several), waiting up to 10 s for `n`.
std::size_t Published(RecordingSink& sink, std::size_t n) {
  std::size_t total = 0;
  for (int i = 0; i < 100; ++i) {
    total = 0;
    for (const auto& d : sink.WaitFor(1, 100ms)) {
      for (std::size_t at = 0; (at = d.body.find("\"publicationID\"", at)) != std::string::npos;
           ++at) {
        ++total;
      }
    }
    if (total >= n) break;
    std::this_thread::sleep_for(100ms);
  }
  return total;
}

class Routing : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(
        dir_, mdr_.Url(),
        "  - {dip_id: \"1200000002\", role: MDR, mpid: DMD2, api_key: mdr2-key,"
        " webhooks: {\"*\": \"" +
            mdr2_.Url() +
            "\"}}\n"
            "  - {dip_id: \"1400000001\", role: REGS, mpid: DREG, api_key: regs-key}\n");
    ASSERT_TRUE(
        hub_->EditConfig("api_key: demo-sds-key}",
                         "api_key: demo-sds-key, webhooks: {\"*\": \"" + sds_.Url() + "\"}}"));
    ASSERT_TRUE(
        hub_->EditConfig("api_key: demo-sup-key}",
                         "api_key: demo-sup-key, webhooks: {\"*\": \"" + sup_.Url() + "\"}}"));
    std::string error;
    ASSERT_TRUE(hub_->Start(&error)) << error;
    HttpResult imported = hub_->Call("POST", "/admin/appointments",
                                     "MPANCore,role,DIPID,effectiveFromDate\n"
                                     "2000000000001,SUP,1300000001,2020-01-01\n"
                                     "2000000000001,DS,1100000001,2020-01-01\n"
                                     "2000000000001,MDR,1200000001,2020-01-01\n"
                                     "2000000000002,SUP,1300000001,2020-01-01\n"
                                     "2000000000002,SDS,1100000001,2020-01-01\n"
                                     "2000000000002,MDR,1200000002,2020-01-01\n",
                                     kAdmin);
    ASSERT_EQ(imported.status, 200) << imported.body;
    EXPECT_EQ(imported.body, "{\"imported\":6}");
  }

  HttpResult Send(const Msg& m, const std::string& key) {
    return hub_->Send(m.iface, Body(m), key);
  }

  // The recipients the hub routed `ref` to, from its journal's Addressing row.
  std::string Routed(const Msg& m) {
    HttpResult j = hub_->Call(
        "GET", "/dip-channel/" + m.iface + "/deliveryStatus/" + m.sender + "/" + m.ref, "", kAdmin);
    EXPECT_EQ(j.status, 200) << j.body;
    const std::string marker = "\"Routed\"";
    std::size_t at = j.body.find(marker);
    if (at == std::string::npos) return "<no Addressing row: " + j.body + ">";
    // The row's detail lists the recipients: "...","detail":"id,id"...
    std::size_t d = j.body.find("\"detail\":\"", at);
    if (d == std::string::npos) return "<no detail: " + j.body + ">";
    d += 10;
    return j.body.substr(d, j.body.find('"', d) - d);
  }

  TempDir dir_;
  RecordingSink sds_, mdr_, mdr2_, sup_;
  std::unique_ptr<HubProcess> hub_;
};

TEST_F(Routing, SecondaryDeliveryAndMdrOptIn) {
  ASSERT_EQ(hub_->Call("PUT", "/admin/mdr-opt-in/1200000001/PUB-006", "", kAdmin).status, 200);
  EXPECT_EQ(hub_->Call("PUT", "/admin/mdr-opt-in/1200000001/PUB-061", "", kAdmin).status, 400);

  // IF-006 carries R0; an acceptance goes to every subscriber.
  Msg a{"IF-006", "[MeterUpdate]", "S-IF-006-1400000001-REGS-20261122-a", kRegs, "REGS", {}, kMpanA,
        "A"};
  Msg b{"IF-006", "[MeterUpdate]", "S-IF-006-1400000001-REGS-20261122-b", kRegs, "REGS", {}, kMpanB,
        "A"};
  HttpResult ra = Send(a, "regs-key");
  ASSERT_EQ(ra.status, 201) << ra.body;
  ASSERT_EQ(Send(b, "regs-key").status, 201);
  // MPAN A: the supplier, the SDS and the opted-in MDR. MPAN B: its MDR2 did not opt in.
  EXPECT_EQ(Routed(a), "1300000001,1100000001,1200000001");
  EXPECT_EQ(Routed(b), "1300000001,1100000001");

  auto to_mdr = mdr_.WaitFor(1, 10s);
  ASSERT_EQ(to_mdr.size(), 1u);
  EXPECT_NE(to_mdr[0].body.find("\"publicationID\":\"PUB-006\""), std::string::npos);
  EXPECT_NE(to_mdr[0].body.find("\"secondaryRecipients\":[\"1300000001\",\"1100000001\","
                                "\"1200000001\"]"),
            std::string::npos)
      << to_mdr[0].body;
  EXPECT_EQ(Published(sds_, 2), 2u);
  EXPECT_EQ(Published(sup_, 2), 2u);

  // Opting out applies from the next message.
  ASSERT_EQ(hub_->Call("DELETE", "/admin/mdr-opt-in/1200000001/PUB-006", "", kAdmin).status, 200);
  Msg a2 = a;
  a2.ref += "2";
  ASSERT_EQ(Send(a2, "regs-key").status, 201);
  EXPECT_EQ(Routed(a2), "1300000001,1100000001");
  EXPECT_EQ(mdr2_.count(), 0u);

  // The change is journalled.
  HttpResult policy = hub_->Call("GET", "/admin/routing", "", kAdmin);
  EXPECT_NE(policy.body.find("optin+ 1200000001 PUB-006"), std::string::npos) << policy.body;
  EXPECT_NE(policy.body.find("optin- 1200000001 PUB-006"), std::string::npos) << policy.body;
}

TEST_F(Routing, RejectionGoesOnlyToTheOriginator) {
  ASSERT_EQ(hub_->Call("PUT", "/admin/mdr-opt-in/1200000001/PUB-006", "", kAdmin).status, 200);
  Msg rejected{"IF-006",
               "[MeterUpdate]",
               "S-IF-006-1400000001-REGS-20261122-r",
               kRegs,
               "REGS",
               {kSup},
               kMpanA,
               "R"};
  Msg accepted = rejected;
  accepted.ref = "S-IF-006-1400000001-REGS-20261122-c";
  accepted.response_code = "A";
  ASSERT_EQ(Send(rejected, "regs-key").status, 201);
  ASSERT_EQ(Send(accepted, "regs-key").status, 201);
  EXPECT_EQ(Routed(rejected), "1300000001");
  EXPECT_EQ(Routed(accepted), "1300000001,1100000001,1200000001");
}

TEST_F(Routing, PairingsAndAssignmentsAreEnforced) {
  // The paired SDS -> MDR start goes through; to the unpaired MDR2 it is refused.
  Msg start{"IF-061", "[MDRStart]", "S-IF-061-1100000001-SDS-20261122-p1", kSds, "SDS",
            {kMdr},   kMpanA};
  const std::string mdr_start_rest = R"("B078":{"energyDirection":"I"},
    "B025":{"energisationStatus":"E","energisationStatusEffectiveFromDate":"2024-01-01T00:00:00+00:00"},
    "B068":{"consentGranularity":"H","consentGranularityEffectiveFromDate":"2024-01-01T00:00:00+00:00"}})";
  start.custom = R"({"B019":{"assignedMDRDIPID":"1200000001","assignedMDRMPID":"DMDR",
    "assignedMDREffectiveFromDate":"2026-11-23T00:00:00+00:00"},)" +
                 mdr_start_rest;
  HttpResult ok = Send(start, "demo-sds-key");
  EXPECT_EQ(ok.status, 201) << ok.body;
  Msg unpaired = start;
  unpaired.ref += "x";
  unpaired.primaries = {kMdr2};
  HttpResult refused = Send(unpaired, "demo-sds-key");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("MSG1030"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("no SDS-MDR pairing"), std::string::npos) << refused.body;

  // The MDR may send consumption for MPAN A, not for MPAN B (assigned to MDR2).
  Msg consumption{
      "IF-064", "[MDRConsumption]", "S-IF-064-1200000001-MDR-20261122-c1", kMdr, "MDR", {kSds},
      kMpanA};
  consumption.custom = R"({"B045":{"measurementQuantityID":"AI"},"B941List":[{"settlementDay":
    {"settlementDayDate":"2026-11-21T00:00:00+00:00","periodDuration":30},"MDRConsumptionPeriods":
    [{"sp":"2026-11-21T00:30:00+00:00","v":"0.125","q":"A"}]}]})";
  EXPECT_EQ(Send(consumption, "demo-mdr-key").status, 201);
  consumption.ref += "b";
  consumption.mpan = kMpanB;
  HttpResult other = Send(consumption, "demo-mdr-key");
  EXPECT_EQ(other.status, 400);
  EXPECT_NE(other.body.find("MSG1038"), std::string::npos) << other.body;
  EXPECT_NE(other.body.find("not assigned to MPAN 2000000000002"), std::string::npos) << other.body;

  // Pairing MDR2 at run time lets the start through, from the next message.
  ASSERT_EQ(hub_->Call("PUT", "/admin/pairings/1100000001/1200000002", "", kAdmin).status, 200);
  unpaired.ref += "y";
  unpaired.custom = R"({"B019":{"assignedMDRDIPID":"1200000002","assignedMDRMPID":"DMDB",
    "assignedMDREffectiveFromDate":"2026-11-23T00:00:00+00:00"},)" +
                    mdr_start_rest;
  HttpResult now_paired = Send(unpaired, "demo-sds-key");
  EXPECT_EQ(now_paired.status, 201) << now_paired.body;
  EXPECT_EQ(mdr2_.WaitFor(1, 10s).size(), 1u);
}

TEST_F(Routing, AppointmentFromPub036RoutesAndSurvivesRestart) {
  Msg appoint{"IF-036", "[DSAppActive]", "S-IF-036-1400000001-REGS-20261122-n", kRegs, "REGS",
              {},       kMpanC};
  appoint.custom = R"({"B012":{"serviceProviderAppointmentRequestingSupplierDIPID":"1300000001",
    "serviceProviderAppointmentRequestingSupplierMPID":"DSUP"},
    "B015":{"incomingDataServiceMPID":"DSDS","incomingDataServiceDIPID":"1100000001",
    "incomingDataServiceEffectiveFromDate":"2020-06-01T00:00:00+00:00",
    "contractReferenceDataService":"C1","appointmentScenario":"ALG",
    "traditionalFallBackReadFrequency":"Q"},
    "B022":{"meteringPointPostcode":"SW1A 2AA","addressLine1":"1","addressLine2":"","addressLine3":"",
      "addressLine4":"","addressLine5":"","addressLine6":"","addressLine7":"","addressLine8":"",
      "addressLine9":""},
    "B023":{"connectionTypeIndicator":"W","connectionTypeEffectiveFromDate":"2020-06-01T00:00:00+00:00",
      "energyDirection":"I","meteredIndicator":true},
    "B024":{"DUOSTariffID":"T01","DUOSTariffIDEffectiveFromDate":"2020-06-01T00:00:00+00:00"},
    "B025":{"energisationStatus":"E","energisationStatusEffectiveFromDate":"2020-06-01T00:00:00+00:00"},
    "B026":{"marketSegmentIndicator":"A","marketSegmentIndicatorEffectiveFromDate":"2020-06-01T00:00:00+00:00"},
    "B028":{"domesticPremiseIndicator":true,
      "domesticPremiseIndicatorEffectiveFromDate":"2020-06-01T00:00:00+00:00"}})";
  // Before the appointment the MPAN is unknown: a PUB-006 for it cannot be routed.
  Msg update{
      "IF-006", "[MeterUpdate]", "S-IF-006-1400000001-REGS-20261122-u", kRegs, "REGS", {}, kMpanC,
      "A"};
  HttpResult unknown = Send(update, "regs-key");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("MSG1037"), std::string::npos) << unknown.body;

  HttpResult r = Send(appoint, "regs-key");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Routed(appoint), "1100000001");
  auto got = sds_.WaitFor(1, 10s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].body.find("\"publicationID\":\"PUB-036\""), std::string::npos);

  update.ref += "2";
  HttpResult routed = Send(update, "regs-key");
  ASSERT_EQ(routed.status, 201) << routed.body;
  EXPECT_EQ(Routed(update), "1100000001");

  // The MPAN query: its SDS sees it, MDR2 (not appointed) may not, nor may a bad key.
  HttpResult mine = hub_->Call("GET", "/mpan/2000000000003", "", {{"X-API-Key", "demo-sds-key"}});
  EXPECT_EQ(mine.status, 200) << mine.body;
  EXPECT_NE(mine.body.find("{\"role\":\"DS\",\"DIPID\":\"1100000001\","
                           "\"effectiveFromDate\":\"2020-06-01\",\"status\":\"current\"}"),
            std::string::npos)
      << mine.body;
  EXPECT_EQ(hub_->Call("GET", "/mpan/2000000000003", "", {{"X-API-Key", "mdr2-key"}}).status, 403);
  EXPECT_EQ(hub_->Call("GET", "/mpan/2000000000003", "", {{"X-API-Key", "nope"}}).status, 401);
  EXPECT_EQ(hub_->Call("GET", "/mpan/2000000000009", "", {{"X-API-Key", "demo-sds-key"}}).status,
            403);
  EXPECT_EQ(hub_->Call("GET", "/mpan/20000", "", {{"X-API-Key", "demo-sds-key"}}).status, 400);
  EXPECT_EQ(hub_->Call("GET", "/mpan/2000000000002", "", {{"X-API-Key", "mdr2-key"}}).status, 200);

  // Appointments are durable: after a restart the MPAN is still known and routed.
  ASSERT_EQ(hub_->Terminate(), 0);
  std::string error;
  ASSERT_TRUE(hub_->Start(&error)) << error;
  EXPECT_EQ(hub_->Call("GET", "/mpan/2000000000003", "", {{"X-API-Key", "demo-sds-key"}}).status,
            200);
  update.ref += "3";
  ASSERT_EQ(Send(update, "regs-key").status, 201);
  EXPECT_EQ(Routed(update), "1100000001");
}

}  // namespace
}  // namespace diphub::testing
