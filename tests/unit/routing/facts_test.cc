#include "routing/facts.h"

#include <gtest/gtest.h>

#include <string>

namespace diphub::routing {
namespace {

std::string Item(const std::string& custom) {
  return R"({"payload":{"CommonBlock":{},"CustomBlock":)" + custom + "}}";
}

Day D(const char* date) { return *DayFromDate(date); }

TEST(FactsTest, DataServiceAppointmentWithAssignedMdr) {
  auto f = ExtractFacts(Item(R"({"B015":{"incomingDataServiceDIPID":"1100000001",
      "incomingDataServiceEffectiveFromDate":"2026-12-01T00:00:00+00:00"},
      "B019":{"assignedMDRDIPID":"1200000001","assignedMDREffectiveFromDate":"2026-12-02"}})"),
                        "IF-036", "[DSAppActive]");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f.value().changes.size(), 2u);
  EXPECT_EQ(f.value().changes[0].slot, Slot::kDataService);
  EXPECT_EQ(f.value().changes[0].party, "1100000001");
  EXPECT_EQ(f.value().changes[0].from, D("2026-12-01"));
  EXPECT_EQ(f.value().changes[1].slot, Slot::kMdr);
  EXPECT_EQ(f.value().changes[1].from, D("2026-12-02"));
}

TEST(FactsTest, NamesAreMatchedIgnoringCase) {
  auto f = ExtractFacts(
      R"({"PAYLOAD":{"customblock":{"b002":{"INCOMINGSUPPLIERDIPID":"1300000001",
          "supplierEffectiveFromDate":"2026-12-01"}}}})",
      "IF-001", "[ChangeOfSupplier]");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f.value().changes.size(), 1u);
  EXPECT_EQ(f.value().changes[0].slot, Slot::kSupplier);
}

TEST(FactsTest, EndDatesVacateFromTheNextDay) {
  auto f = ExtractFacts(Item(R"({"B083":{"assignedMDRDIPID":"1200000001",
      "assignedMDRMPID":"DMDR","assignedMDREffectiveToDate":"2026-12-31"}})"),
                        "IF-063", "[MDRStop]");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f.value().changes.size(), 1u);
  EXPECT_EQ(f.value().changes[0].party, "");
  EXPECT_EQ(f.value().changes[0].vacated_by, "1200000001");
  EXPECT_EQ(f.value().changes[0].from, D("2027-01-01"));
}

TEST(FactsTest, MdrStartNamesItsMdr) {
  auto f = ExtractFacts(Item(R"({"B019":{"assignedMDRDIPID":"1200000001",
      "assignedMDREffectiveFromDate":"2026-12-01T00:00:00+00:00"}})"),
                        "IF-061", "[MDRStart]");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f.value().assigned_mdr, "1200000001");
}

TEST(FactsTest, RejectedMdrNominationChangesNothing) {
  auto f = ExtractFacts(Item(R"({"B099":{"responseCode":"R"},"B092":{"assignedMDRDIPID":"1",
      "assignedMDREffectiveFromDate":"2026-12-01"}})"),
                        "IF-035", "[SDS-MDROutcome]");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(f.value().changes.empty());
}

TEST(FactsTest, MissingOrBadFieldsNameTheField) {
  struct Case {
    const char* iface;
    const char* event;
    const char* custom;
    const char* field;
  } cases[] = {
      {"IF-061", "[MDRStart]", "{}", "CustomBlock.B019: required block missing"},
      {"IF-061", "[MDRStart]", R"({"B019":{"assignedMDREffectiveFromDate":"2026-12-01"}})",
       "CustomBlock.B019.assignedMDRDIPID"},
      {"IF-036", "[DSAppActive]",
       R"({"B015":{"incomingDataServiceDIPID":"1100000001",
           "incomingDataServiceEffectiveFromDate":"2026-02-30"}})",
       "CustomBlock.B015.incomingDataServiceEffectiveFromDate: \"2026-02-30\" is not a date"},
      {"IF-037", "[DSDeApp]", R"({"B009":{"deAppointedDataServiceDIPID":7}})",
       "CustomBlock.B009.deAppointedDataServiceDIPID"},
  };
  for (const Case& c : cases) {
    auto f = ExtractFacts(Item(c.custom), c.iface, c.event);
    ASSERT_FALSE(f.ok()) << c.custom;
    EXPECT_EQ(f.status().code(), "MSG1001");
    EXPECT_NE(f.status().help().find(c.field), std::string::npos) << f.status().help();
  }
}

TEST(FactsTest, OtherInterfacesCarryNone) {
  EXPECT_FALSE(CarriesFacts("IF-064", "[MDRConsumption]"));
  EXPECT_FALSE(CarriesFacts("IF-035", "[DSAppAccepted]"));
  auto f = ExtractFacts("not even JSON", "IF-064", "[MDRConsumption]");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f.value().changes.empty());
}

TEST(FactsTest, PrincipalMpanIsReadFromM1) {
  EXPECT_EQ(PrincipalMpan(R"({"payload":{"CommonBlock":{"m1":{"PrincipalMPAN":"2000000000001",
            "distributorDIPID":"1009012345","GSPGroupID":"_K"}},"CustomBlock":{}}})"),
            "2000000000001");
  EXPECT_EQ(PrincipalMpan(R"({"payload":{"CommonBlock":{"M0":{"MPANCore":"2000000000001"}}}})"),
            std::nullopt);
  EXPECT_EQ(PrincipalMpan(R"({"payload":{"CommonBlock":{"M1":{"principalMPAN":null}}}})"),
            std::nullopt);
  EXPECT_EQ(PrincipalMpan("not json"), std::nullopt);
}

}  // namespace
}  // namespace diphub::routing
