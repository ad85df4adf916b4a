// The level-1 schema walk: every event of the spec accepts a sample message built from its own
// schema, and every kind of rule, broken alone, is refused with its exact code and a help text
// naming the field and the rule.
#include "dip/schema_check.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "dip/catalogue.h"
#include "dip/envelope.h"
#include "dip/l1.h"
#include "dip/sample_message.h"
#include "tests/unit/dip/test_messages.h"

namespace diphub::dip {
namespace {

using testing::Replace;

// A schema-valid IF-061 [MDRStart], written out by hand.
const std::string kMdrStart = R"({"payload":{"CommonBlock":{
  "S0":{"interfaceID":"IF-061","schemaVersion":"011","eventCode":"[MDRStart]"},
  "S1":{"environmentTag":"DEV","subText":null,
        "senderUniqueReference":"S-IF-061-1100000001-SDS-20261122-a1",
        "senderTimestamp":"2026-11-22T09:30:00+00:00","senderDIPID":"1100000001",
        "senderRoleID":"SDS","senderCorrelationID":"CI-1",
        "DIPConnectionProviderID":null},
  "A0":{"primaryRecipients":["1200000001"],"secondaryRecipients":[],"always":[]},
  "M0":{"MPANCore":"2000056535971","distributorDIPID":"1009012345","GSPGroupID":"_K"}},
 "CustomBlock":{
  "B019":{"assignedMDRDIPID":"1200000001","assignedMDRMPID":"DMDR",
          "assignedMDREffectiveFromDate":"2026-11-23T00:00:00+00:00"},
  "B078":{"energyDirection":"I"},
  "B025":{"energisationStatus":"E","energisationStatusEffectiveFromDate":"2024-01-01T00:00:00+00:00"},
  "B068":{"consentGranularity":"H","consentGranularityEffectiveFromDate":"2024-01-01T00:00:00+00:00"}}}})";

Status Check061(const std::string& message) {
  return CheckMessageSchema(message, "IF-061", "[MDRStart]");
}

// The code and the help text of a refusal, for one-line expectations.
std::string Verdict(const Status& s) {
  return s.ok() ? "OK" : std::string(s.code()) + " " + s.help();
}

TEST(SchemaCheckTest, AcceptsTheHandWrittenMessage) {
  EXPECT_EQ(Verdict(Check061(kMdrStart)), "OK");
}

// The example the README and docs/api.md send passes the whole of level 1.
TEST(SchemaCheckTest, ShippedExamplePassesLevelOne) {
  std::ifstream in(DIPHUB_SOURCE_DIR "/deploy/examples/if-061.json");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string body = ss.str(), scratch;
  ASSERT_FALSE(body.empty());
  ParsedArray a = ParseMessageArray(body, &scratch);
  ASSERT_TRUE(a.status.ok()) << a.status.ToString();
  for (const ParsedItem& item : a.items) {
    ASSERT_TRUE(item.status.ok()) << item.status.ToString();
    EXPECT_EQ(Verdict(CheckMessage(item.envelope, {"IF-061", "DEV"})), "OK");
  }
}

TEST(SchemaCheckTest, EveryEventAcceptsSamplesOfItsSchema) {
  std::set<std::string> events;
  for (std::size_t i = 0; i < generated::kEventCount; ++i) {
    const generated::EventRow& row = generated::kEvents[i];
    for (std::uint32_t seed = 1; seed <= 5; ++seed) {
      SampleOptions options;
      options.seed = seed;
      options.optional_share = seed == 1 ? 0.0 : (seed == 2 ? 1.0 : 0.5);
      std::string m = SampleMessage(row, options);
      Status s = CheckMessageSchema(m, row.interface_id, row.event_code);
      EXPECT_TRUE(s.ok()) << row.interface_id << " " << row.event_code << " seed " << seed << ": "
                          << s.ToString() << "\n"
                          << m;
    }
    events.insert(std::string(row.interface_id) + row.event_code);
  }
  EXPECT_GT(events.size(), 120u);
}

TEST(SchemaCheckTest, FieldNamesMatchCaseInsensitively) {
  std::string m = Replace(kMdrStart, "\"CommonBlock\"", "\"commonblock\"");
  m = Replace(m, "\"senderDIPID\"", "\"SENDERDIPID\"");
  m = Replace(m, "\"B019\"", "\"b019\"");
  m = Replace(m, "\"energyDirection\"", "\"ENERGYdirection\"");
  EXPECT_EQ(Verdict(Check061(m)), "OK");
  // Two spellings of one field are one field given twice.
  std::string twice =
      Replace(kMdrStart, "\"senderRoleID\"", "\"senderroleid\":\"SDS\",\"senderRoleID\"");
  EXPECT_EQ(Verdict(Check061(twice)),
            "MSG1010 S1.senderRoleID: field appears more than once (names match "
            "case-insensitively)");
}

TEST(SchemaCheckTest, RequiredFieldMissing) {
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, "\"B078\":{\"energyDirection\":\"I\"},", ""))),
            "MSG1001 CustomBlock.B078: required field missing");
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, "\"GSPGroupID\":\"_K\"", "\"x\":1"))),
            "MSG1001 M0.x: unexpected field (not in the DIP schema)");
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, ",\"always\":[]", ""))),
            "MSG1035 A0.always: required field missing");
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, "\"senderDIPID\":\"1100000001\",", ""))),
            "MSG1009 S1.senderDIPID: required field missing");
}

TEST(SchemaCheckTest, UnexpectedFieldInClosedObject) {
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, "\"B078\":{", "\"B078\":{\"colour\":\"red\","))),
            "MSG1001 CustomBlock.B078.colour: unexpected field (not in the DIP schema)");
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, "\"B078\"", "\"B999\""))),
            "MSG1001 CustomBlock.B999: unexpected field (not in the DIP schema)");
}

TEST(SchemaCheckTest, WrongType) {
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, "\"senderDIPID\":\"1100000001\"",
                                     "\"senderDIPID\":1100000001"))),
            "MSG1009 S1.senderDIPID: expected a string, got an integer");
  EXPECT_EQ(
      Verdict(Check061(Replace(kMdrStart, "\"B078\":{\"energyDirection\":\"I\"}", "\"B078\":[]"))),
      "MSG1001 CustomBlock.B078: expected an object, got an array");
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, "\"primaryRecipients\":[\"1200000001\"]",
                                     "\"primaryRecipients\":\"1200000001\""))),
            "MSG1031 A0.primaryRecipients: expected an array, got a string \"1200000001\"");
}

TEST(SchemaCheckTest, NullOnlyWhereNullable) {
  // subText and DIPConnectionProviderID are nullable; senderTimestamp is not.
  EXPECT_EQ(Verdict(Check061(kMdrStart)), "OK");
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, "\"senderTimestamp\":\"2026-11-22T09:30:00+00:00\"",
                                     "\"senderTimestamp\":null"))),
            "MSG1007 S1.senderTimestamp: expected a string, got null");
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, "\"senderCorrelationID\":\"CI-1\"",
                                     "\"senderCorrelationID\":null"))),
            "OK");
}

TEST(SchemaCheckTest, EnumValue) {
  EXPECT_EQ(Verdict(Check061(
                Replace(kMdrStart, "\"energyDirection\":\"I\"", "\"energyDirection\":\"i\""))),
            "MSG1001 CustomBlock.B078.energyDirection: expected one of \"I\", \"E\", got \"i\"");
  Status s =
      Check061(Replace(kMdrStart, "\"environmentTag\":\"DEV\"", "\"environmentTag\":\"LAB\""));
  EXPECT_EQ(s.code(), "MSG1001");
  EXPECT_NE(s.help().find("S1.environmentTag: expected one of"), std::string::npos) << s.help();
}

TEST(SchemaCheckTest, StringLength) {
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, "\"senderTimestamp\":\"2026-11-22T09:30:00+00:00\"",
                                     "\"senderTimestamp\":\"2025-01-01T00:00:00Z\""))),
            "MSG1007 S1.senderTimestamp: expected a string of 25 characters, got "
            "\"2025-01-01T00:00:00Z\" (20)");
  EXPECT_EQ(Verdict(Check061(
                Replace(kMdrStart, "\"senderRoleID\":\"SDS\"", "\"senderRoleID\":\"TOOLONG\""))),
            "MSG1010 S1.senderRoleID: expected a string of 3 to 5 characters, got \"TOOLONG\" (7)");
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, "\"senderCorrelationID\":\"CI-1\"",
                                     "\"senderCorrelationID\":\"" + std::string(61, 'c') + "\""))),
            "MSG1012 S1.senderCorrelationID: expected a string of 1 to 60 characters, got \"" +
                std::string(61, 'c') + "\" (61)");
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, "\"DIPConnectionProviderID\":null",
                                     "\"DIPConnectionProviderID\":\"12345\""))),
            "MSG1011 S1.DIPConnectionProviderID: expected a string of 10 characters, got "
            "\"12345\" (5)");
  // Lengths count characters, not bytes: ten two-byte characters make a ten-character ID.
  std::string ten = "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9";
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, "\"assignedMDRDIPID\":\"1200000001\"",
                                     "\"assignedMDRDIPID\":\"" + ten + "\""))),
            "OK");
}

TEST(SchemaCheckTest, Pattern) {
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, "\"MPANCore\":\"2000056535971\"",
                                     "\"MPANCore\":\"200005653597X\""))),
            "MSG1001 M0.MPANCore: expected a value matching ^\\d{13}?$, got \"200005653597X\"");
  EXPECT_EQ(Verdict(Check061(Replace(kMdrStart, "\"assignedMDRMPID\":\"DMDR\"",
                                     "\"assignedMDRMPID\":\"DMDr\""))),
            "MSG1001 CustomBlock.B019.assignedMDRMPID: expected a value matching ^[A-Z]{4}$, got "
            "\"DMDr\"");
  Status s = Check061(Replace(kMdrStart, "S-IF-061-1100000001-SDS-20261122-a1", "REF-0001"));
  EXPECT_EQ(s.code(), "MSG1001");
  EXPECT_NE(s.help().find("S1.senderUniqueReference: expected a value matching ^S-"),
            std::string::npos)
      << s.help();
}

// IF-064 carries lists with bounds and integers with bounds.
std::string Consumption(int periods, std::string_view duration = "30") {
  std::string list;
  for (int i = 0; i < periods; ++i) {
    if (i > 0) list += ",";
    list += R"({"sp":"2026-11-21T00:30:00+00:00","v":"1.250","q":"A"})";
  }
  return Replace(
      Replace(Replace(Replace(kMdrStart, "IF-061", "IF-064"), "[MDRStart]", "[MDRConsumption]"),
              kMdrStart.substr(kMdrStart.find("\"CustomBlock\"")),
              R"("CustomBlock":{"B045":{"measurementQuantityID":"AI"},"B941List":[
                 {"settlementDay":{"settlementDayDate":"2026-11-21T00:00:00+00:00","periodDuration":)" +
                  std::string(duration) + R"(},"MDRConsumptionPeriods":[)" + list + "]}]}}}"),
      "S-IF-061", "S-IF-064");
}

Status Check064(const std::string& message) {
  return CheckMessageSchema(message, "IF-064", "[MDRConsumption]");
}

TEST(SchemaCheckTest, ListBounds) {
  EXPECT_EQ(Verdict(Check064(Consumption(48))), "OK");
  EXPECT_EQ(
      Verdict(Check064(Consumption(49))),
      "MSG1001 CustomBlock.B941List[0].MDRConsumptionPeriods: expected 1 to 48 items, got 49");
  EXPECT_EQ(Verdict(Check064(Consumption(0))),
            "MSG1001 CustomBlock.B941List[0].MDRConsumptionPeriods: expected 1 to 48 items, got 0");
}

TEST(SchemaCheckTest, NumberBounds) {
  EXPECT_EQ(Verdict(Check064(Consumption(1, "31"))),
            "MSG1001 CustomBlock.B941List[0].settlementDay.periodDuration: expected at most 30, "
            "got 31");
  EXPECT_EQ(Verdict(Check064(Consumption(1, "15"))),
            "MSG1001 CustomBlock.B941List[0].settlementDay.periodDuration: expected at least 30, "
            "got 15");
  EXPECT_EQ(Verdict(Check064(Consumption(1, "30.5"))),
            "MSG1001 CustomBlock.B941List[0].settlementDay.periodDuration: expected an integer, "
            "got a number with a fraction");
}

TEST(SchemaCheckTest, InterfaceAndEvent) {
  EXPECT_EQ(Verdict(Check061(
                Replace(kMdrStart, "\"interfaceID\":\"IF-061\"", "\"interfaceID\":\"IF-062\""))),
            "MSG1002 S0.interfaceID: expected one of \"IF-061\", got \"IF-062\"");
  EXPECT_EQ(Verdict(CheckMessageSchema(kMdrStart, "IF-061", "[MDRStop]")),
            "MSG1001 S0.eventCode: \"[MDRStop]\" is not an event of IF-061");
}

TEST(SchemaCheckTest, MalformedJsonIsSchemaFailureNotCrash) {
  for (std::string_view cut : {"{", "{\"payload\":", "{\"payload\":{\"CommonBlock\":{\"S0\":[",
                               "{\"payload\":{\"CommonBlock\":tru}}"}) {
    Status s = Check061(std::string(cut));
    EXPECT_EQ(s.code(), "MSG1001") << cut;
  }
  EXPECT_EQ(Verdict(Check061("{}")), "MSG1001 payload: required field missing");
}

}  // namespace
}  // namespace diphub::dip
