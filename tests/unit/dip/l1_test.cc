#include "dip/l1.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/dip/test_messages.h"

namespace diphub::dip {
namespace {

StrField Str(std::string v) { return StrField{StrField::State::kString, std::move(v)}; }
StrField Null() { return StrField{StrField::State::kNull, "null"}; }

// An envelope every rule accepts for IF-061 on a DEV hub.
Envelope Valid() {
  Envelope e;
  e.has_s0 = e.has_s1 = e.has_m0 = e.has_a0 = e.has_custom_block = true;
  e.interface_id = Str("IF-061");
  e.schema_version = Str("011");
  e.event_code = Str("[MDRStart]");
  e.environment_tag = Str("DEV");
  e.sub_text = Null();
  e.sender_unique_reference = Str("REF-0001");
  e.sender_timestamp = Str("2025-08-11T09:30:00+01:00");
  e.sender_dip_id = Str("1100000001");
  e.sender_role_id = Str("SDS");
  e.sender_correlation_id = Null();
  e.connection_provider_id = Null();
  e.mpan_core = Str("2000056535971");
  e.primary_recipients_present = true;
  e.primary_recipients = {"1200000001"};
  return e;
}

const L1Options kOptions{"IF-061", "DEV"};

Status Check(const Envelope& e) { return CheckEnvelope(e, kOptions); }

bool HelpHas(const Status& s, std::string_view text) {
  return s.help().find(text) != std::string::npos;
}

TEST(CheckEnvelopeTest, AcceptsValidEnvelope) {
  Status s = Check(Valid());
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(CheckEnvelopeTest, AcceptsParsedExampleMessage) {
  std::string body = "[" + testing::ValidItem() + "]";
  std::string scratch;
  ParsedArray a = ParseMessageArray(body, &scratch);
  ASSERT_TRUE(a.status.ok()) << a.status.ToString();
  ASSERT_TRUE(a.items[0].status.ok()) << a.items[0].status.ToString();
  Status s = Check(a.items[0].envelope);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(CheckEnvelopeTest, MissingS0OrS1) {
  Envelope e = Valid();
  e.has_s0 = false;
  Status s = Check(e);
  EXPECT_EQ(s.code(), "MSG1001");
  EXPECT_TRUE(HelpHas(s, "S0")) << s.help();

  e = Valid();
  e.has_s1 = false;
  s = Check(e);
  EXPECT_EQ(s.code(), "MSG1001");
  EXPECT_TRUE(HelpHas(s, "S1")) << s.help();
}

TEST(CheckEnvelopeTest, InterfaceIdMustMatchChannel) {
  Envelope e = Valid();
  e.interface_id = Str("IF-065");
  Status s = Check(e);
  EXPECT_EQ(s.code(), "MSG1002");
  EXPECT_TRUE(HelpHas(s, "IF-065")) << s.help();

  e.interface_id = StrField{};
  EXPECT_EQ(Check(e).code(), "MSG1002");
}

TEST(CheckEnvelopeTest, UnknownEventCode) {
  Envelope e = Valid();
  e.event_code = Str("[MDRConsumption]");  // an IF-065 event, not IF-061
  Status s = Check(e);
  EXPECT_EQ(s.code(), "MSG1001");
  EXPECT_TRUE(HelpHas(s, "S0.eventCode")) << s.help();
  EXPECT_TRUE(HelpHas(s, "[MDRConsumption]")) << s.help();
}

TEST(CheckEnvelopeTest, UnknownSchemaVersion) {
  Envelope e = Valid();
  e.schema_version = Str("999");
  Status s = Check(e);
  EXPECT_EQ(s.code(), "MSG1001");
  EXPECT_TRUE(HelpHas(s, "S0.schemaVersion")) << s.help();
  EXPECT_TRUE(HelpHas(s, "\"011\"")) << s.help();
}

TEST(CheckEnvelopeTest, EnvironmentTagMustBeTheHubs) {
  Envelope e = Valid();
  e.environment_tag = Str("PRD");
  Status s = Check(e);
  EXPECT_EQ(s.code(), "MSG1001");
  EXPECT_TRUE(HelpHas(s, "S1.environmentTag")) << s.help();
  EXPECT_TRUE(HelpHas(s, "PRD")) << s.help();
}

TEST(CheckEnvelopeTest, SenderTimestampMustBeDt003) {
  Envelope e = Valid();
  e.sender_timestamp = Str("2025-01-01T00:00:00Z");
  Status s = Check(e);
  EXPECT_EQ(s.code(), "MSG1007");
  EXPECT_TRUE(HelpHas(s, "S1.senderTimestamp")) << s.help();
  EXPECT_TRUE(HelpHas(s, "2025-01-01T00:00:00Z")) << s.help();

  e.sender_timestamp = StrField{};
  EXPECT_EQ(Check(e).code(), "MSG1007");
  e.sender_timestamp = Null();
  EXPECT_EQ(Check(e).code(), "MSG1007");
}

TEST(CheckEnvelopeTest, NullableFieldsMustStillBePresent) {
  Envelope e = Valid();
  e.sender_correlation_id = StrField{};  // key absent
  Status s = Check(e);
  EXPECT_EQ(s.code(), "MSG1001");
  EXPECT_TRUE(HelpHas(s, "S1.senderCorrelationID")) << s.help();

  e = Valid();
  e.sender_correlation_id = Str("CI-1");
  EXPECT_TRUE(Check(e).ok());
  e.sender_correlation_id = Str(std::string(61, 'c'));
  EXPECT_EQ(Check(e).code(), "MSG1012");

  e = Valid();
  e.sub_text = StrField{};
  EXPECT_EQ(Check(e).code(), "MSG1001");
}

TEST(CheckEnvelopeTest, SenderDipIdLength) {
  Envelope e = Valid();
  e.sender_dip_id = Str("110000001");
  Status s = Check(e);
  EXPECT_EQ(s.code(), "MSG1009");
  EXPECT_TRUE(HelpHas(s, "S1.senderDIPID")) << s.help();
  e.sender_dip_id = Str("11000000011");
  EXPECT_EQ(Check(e).code(), "MSG1009");
  e.sender_dip_id = StrField{};
  EXPECT_EQ(Check(e).code(), "MSG1009");
}

TEST(CheckEnvelopeTest, SenderRoleLength) {
  Envelope e = Valid();
  e.sender_role_id = Str("SD");
  EXPECT_EQ(Check(e).code(), "MSG1010");
  e.sender_role_id = Str("TOOLONG");
  Status s = Check(e);
  EXPECT_EQ(s.code(), "MSG1010");
  EXPECT_TRUE(HelpHas(s, "S1.senderRoleID")) << s.help();
  e.sender_role_id = Str("REGS");
  EXPECT_TRUE(Check(e).ok());
}

TEST(CheckEnvelopeTest, ConnectionProviderLength) {
  Envelope e = Valid();
  e.connection_provider_id = Str("12345");
  Status s = Check(e);
  EXPECT_EQ(s.code(), "MSG1011");
  EXPECT_TRUE(HelpHas(s, "S1.DIPConnectionProviderID")) << s.help();
  e.connection_provider_id = Str("1900000001");
  EXPECT_TRUE(Check(e).ok());
}

TEST(CheckEnvelopeTest, M0RequiredForIf061) {
  Envelope e = Valid();
  e.has_m0 = false;
  e.mpan_core = StrField{};
  Status s = Check(e);
  EXPECT_EQ(s.code(), "MSG1001");
  EXPECT_TRUE(HelpHas(s, "M0")) << s.help();
}

TEST(CheckEnvelopeTest, MpanCoreMustBeThirteenDigits) {
  Envelope e = Valid();
  e.mpan_core = Str("200005653597");
  Status s = Check(e);
  EXPECT_EQ(s.code(), "MSG1001");
  EXPECT_TRUE(HelpHas(s, "M0.MPANCore")) << s.help();

  e.mpan_core = Str("200005653597X");
  s = Check(e);
  EXPECT_EQ(s.code(), "MSG1001");
  EXPECT_TRUE(HelpHas(s, "200005653597X")) << s.help();
}

TEST(CheckEnvelopeTest, CustomBlockRequiredWhenCatalogueSaysSo) {
  Envelope e = Valid();
  e.has_custom_block = false;
  Status s = Check(e);
  EXPECT_EQ(s.code(), "MSG1001");
  EXPECT_TRUE(HelpHas(s, "CustomBlock")) << s.help();
}

}  // namespace
}  // namespace diphub::dip
