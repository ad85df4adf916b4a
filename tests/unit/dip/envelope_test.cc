#include "dip/envelope.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/dip/test_messages.h"

namespace diphub::dip {
namespace {

using testing::Replace;
using testing::ValidItem;

ParsedArray Parse(const std::string& body) {
  std::string scratch;
  return ParseMessageArray(body, &scratch);
}

// The one item of a one-message body, which must parse as a whole.
ParsedItem ParseOne(const std::string& item) {
  ParsedArray a = Parse("[" + item + "]");
  EXPECT_TRUE(a.status.ok()) << a.status.ToString();
  EXPECT_EQ(a.items.size(), 1u);
  return a.items.empty() ? ParsedItem{} : a.items[0];
}

TEST(ParseMessageArrayTest, ExtractsEnvelopeOfValidMessage) {
  ParsedArray a = Parse("[" + ValidItem() + "," + ValidItem() + "]");
  ASSERT_TRUE(a.status.ok()) << a.status.ToString();
  ASSERT_EQ(a.items.size(), 2u);
  const ParsedItem& it = a.items[0];
  ASSERT_TRUE(it.status.ok()) << it.status.ToString();
  const Envelope& e = it.envelope;
  EXPECT_TRUE(e.has_s0 && e.has_s1 && e.has_m0 && e.has_a0 && e.has_custom_block);
  EXPECT_FALSE(e.has_r0);
  EXPECT_EQ(e.interface_id.value, "IF-061");
  EXPECT_EQ(e.schema_version.value, "011");
  EXPECT_EQ(e.event_code.value, "[MDRStart]");
  EXPECT_EQ(e.sender_dip_id.value, "1100000001");
  EXPECT_EQ(e.sender_timestamp.value, "2025-08-11T09:30:00+01:00");
  EXPECT_EQ(e.sender_unique_reference.opt(), "REF-0001");
  EXPECT_EQ(e.sub_text.state, StrField::State::kNull);
  EXPECT_EQ(e.connection_provider_id.state, StrField::State::kNull);
  EXPECT_EQ(e.mpan_core.value, "2000056535971");
  EXPECT_TRUE(e.primary_recipients_present);
  EXPECT_EQ(e.primary_recipients, std::vector<std::string>{"1200000001"});
}

TEST(ParseMessageArrayTest, MalformedJsonIsSchemaFailureOfBody) {
  for (const std::string body :
       {"[{\"payload\": \"unterminated}]", "[1, 2", "[{\"payload\": {}} ,]", "[{\"a\" 1}]"}) {
    ParsedArray a = Parse(body);
    EXPECT_EQ(a.status.code(), "MSG1001") << body;
    EXPECT_NE(a.status.help().find("body"), std::string::npos) << body << " -> " << a.status.help();
    EXPECT_TRUE(a.items.empty()) << body;
  }
  // A broken atom inside the array also fails the whole body.
  ParsedArray atom = Parse("[" + ValidItem() + ", tru]");
  EXPECT_EQ(atom.status.code(), "MSG1001");
  EXPECT_TRUE(atom.items.empty());
}

TEST(ParseMessageArrayTest, RejectsBodyThatIsNotAnArray) {
  ParsedArray a = Parse(ValidItem());
  EXPECT_EQ(a.status.code(), "MSG1001");
  EXPECT_NE(a.status.help().find("expected a JSON array"), std::string::npos) << a.status.help();
  EXPECT_NE(a.status.help().find("an object"), std::string::npos) << a.status.help();
}

TEST(ParseMessageArrayTest, RejectsEmptyArray) {
  ParsedArray a = Parse("  [ ]  ");
  EXPECT_EQ(a.status.code(), "MSG1001");
  EXPECT_NE(a.status.help().find("empty"), std::string::npos) << a.status.help();
}

TEST(ParseMessageArrayTest, ItemThatIsNotAnObjectFailsOnlyThatItem) {
  ParsedArray a = Parse("[" + ValidItem() + ", 42, \"text\"]");
  ASSERT_TRUE(a.status.ok()) << a.status.ToString();
  ASSERT_EQ(a.items.size(), 3u);
  EXPECT_TRUE(a.items[0].status.ok()) << a.items[0].status.ToString();
  EXPECT_EQ(a.items[1].status.code(), "MSG1001");
  EXPECT_NE(a.items[1].status.help().find("a number"), std::string::npos);
  EXPECT_EQ(a.items[2].status.code(), "MSG1001");
  EXPECT_NE(a.items[2].status.help().find("a string"), std::string::npos);
}

TEST(ParseMessageArrayTest, MissingPayloadOrCommonBlock) {
  ParsedItem no_payload = ParseOne("{}");
  EXPECT_EQ(no_payload.status.code(), "MSG1001");
  EXPECT_NE(no_payload.status.help().find("payload"), std::string::npos);

  ParsedItem extra = ParseOne(R"({"payload": {"CommonBlock": {}}, "other": 1})");
  EXPECT_EQ(extra.status.code(), "MSG1001");
  EXPECT_NE(extra.status.help().find("other"), std::string::npos);

  ParsedItem no_common = ParseOne(R"({"payload": {"CustomBlock": {"a": 1}}})");
  EXPECT_EQ(no_common.status.code(), "MSG1001");
  EXPECT_NE(no_common.status.help().find("CommonBlock"), std::string::npos);
  EXPECT_NE(no_common.status.help().find("missing"), std::string::npos);
}

TEST(ParseMessageArrayTest, FieldNamesMatchCaseInsensitively) {
  std::string item = Replace(ValidItem(), "\"payload\"", "\"PAYLOAD\"");
  item = Replace(item, "\"CommonBlock\"", "\"commonblock\"");
  item = Replace(item, "\"S1\"", "\"s1\"");
  item = Replace(item, "\"S0\"", "\"s0\"");
  item = Replace(item, "\"senderDIPID\"", "\"SENDERDIPID\"");
  item = Replace(item, "\"MPANCore\"", "\"mpancore\"");
  item = Replace(item, "\"primaryRecipients\"", "\"PrimaryRecipients\"");
  ParsedItem it = ParseOne(item);
  ASSERT_TRUE(it.status.ok()) << it.status.ToString();
  EXPECT_TRUE(it.envelope.has_s0);
  EXPECT_TRUE(it.envelope.has_s1);
  EXPECT_EQ(it.envelope.sender_dip_id.value, "1100000001");
  EXPECT_EQ(it.envelope.interface_id.value, "IF-061");
  EXPECT_EQ(it.envelope.mpan_core.value, "2000056535971");
  EXPECT_EQ(it.envelope.primary_recipients, std::vector<std::string>{"1200000001"});
}

TEST(ParseMessageArrayTest, ValuesKeepTheirCaseAndTypeIsRecorded) {
  std::string item = Replace(ValidItem(), "\"REF-0001\"", "\"ref-MiXeD\"");
  item = Replace(item, "\"senderDIPID\": \"1100000001\"", "\"senderDIPID\": 1100000001");
  ParsedItem it = ParseOne(item);
  ASSERT_TRUE(it.status.ok()) << it.status.ToString();
  EXPECT_EQ(it.envelope.sender_unique_reference.value, "ref-MiXeD");
  EXPECT_EQ(it.envelope.sender_dip_id.state, StrField::State::kOther);
  EXPECT_FALSE(it.envelope.sender_dip_id.opt().has_value());
  EXPECT_EQ(it.envelope.sender_correlation_id.state, StrField::State::kString);
}

TEST(ParseMessageArrayTest, DuplicateBlockOrFieldIsSchemaFailure) {
  ParsedItem block = ParseOne(Replace(ValidItem(), "\"M0\"", "\"s1\": {}, \"M0\""));
  EXPECT_EQ(block.status.code(), "MSG1001");
  EXPECT_NE(block.status.help().find("S1"), std::string::npos) << block.status.help();
  EXPECT_NE(block.status.help().find("more than once"), std::string::npos);

  ParsedItem field = ParseOne(
      Replace(ValidItem(), "\"senderRoleID\"", "\"SENDERDIPID\": \"x\", \"senderRoleID\""));
  EXPECT_EQ(field.status.code(), "MSG1001");
  EXPECT_NE(field.status.help().find("S1.senderDIPID"), std::string::npos) << field.status.help();
}

// #16 item 3: a key given twice anywhere in a message (compared case-insensitively, as the hub
// reads names) is MSG1001 naming it, not one value silently chosen for routing.
TEST(ParseMessageArrayTest, AKeyGivenTwiceInAnyObjectIsSchemaFailureNamingIt) {
  struct Case {
    std::string from, to, help;
  };
  const Case cases[] = {
      {"\"secondaryRecipients\"",
       "\"primaryRecipients\": [\"1999999999\"], \"secondaryRecipients\"",
       "A0.primaryRecipients: field appears more than once"},
      {"\"always\": []", "\"always\": [], \"ALWAYS\": [\"1\"]",
       "A0.ALWAYS: field appears more than once"},
      {"\"GSPGroupID\": \"_K\"", "\"GSPGroupID\": \"_K\", \"gspgroupid\": \"_A\"",
       "M0.gspgroupid: field appears more than once"},
      {"\"M0\":", "\"M1\": {}, \"m1\": {}, \"M0\":", "m1: block appears more than once"},
      {"\"CustomBlock\":", "\"CustomBlock\": {}, \"CustomBlock\":",
       "CustomBlock: block appears more than once"},
      {"{\"x\": 1}", "{\"x\": 1, \"X\": 2}", "CustomBlock.X: field appears more than once"},
  };
  for (const Case& c : cases) {
    ParsedItem item = ParseOne(Replace(ValidItem(), c.from, c.to));
    EXPECT_EQ(item.status.code(), "MSG1001") << c.help;
    EXPECT_NE(item.status.help().find(c.help), std::string::npos) << item.status.help();
  }
  // Past 16 keys the set is hashed: the same answer for a repeat far into a large object.
  std::string many = "{";
  for (int i = 0; i < 40; ++i) many += "\"k" + std::to_string(i) + "\": 1, ";
  ParsedItem big = ParseOne(ValidItem(many + "\"K3\": 2}"));
  EXPECT_NE(big.status.help().find("CustomBlock.K3: field appears more than once"),
            std::string::npos)
      << big.status.help();
  EXPECT_TRUE(ParseOne(ValidItem(many + "\"k40\": 2}")).status.ok());
}

std::string Nested(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') +
         std::string(static_cast<std::size_t>(depth), ']');
}

TEST(ParseMessageArrayTest, NestingDeeperThanLimitIsSchemaFailure) {
  ParsedItem shallow = ParseOne(ValidItem("{\"a\": " + Nested(kMaxJsonDepth - 2) + "}"));
  EXPECT_TRUE(shallow.status.ok()) << shallow.status.ToString();

  ParsedItem deep = ParseOne(ValidItem("{\"a\": " + Nested(kMaxJsonDepth + 5) + "}"));
  EXPECT_EQ(deep.status.code(), "MSG1001");
  EXPECT_NE(deep.status.help().find("nested"), std::string::npos) << deep.status.help();
}

TEST(ParseMessageArrayTest, TrailingContentAfterArrayIsRejected) {
  for (const std::string tail : {" x", " []", " {}", "]"}) {
    ParsedArray a = Parse("[" + ValidItem() + "]" + tail);
    EXPECT_EQ(a.status.code(), "MSG1001") << "tail: " << tail;
  }
  ParsedArray ok = Parse("[" + ValidItem() + "]  \n");
  EXPECT_TRUE(ok.status.ok()) << ok.status.ToString();
}

// Bodies with whitespace around the elements, in a buffer with or without simdjson's padding.
std::vector<std::string> SpacedBodies(const std::string& first, const std::string& second) {
  std::string padded;
  padded.reserve(4096);  // enough room for simdjson: parsed in place, no copy into scratch
  padded += "[ \n" + first + " ,\t" + second + "\n]";
  std::string unpadded = "[ \n" + first + " ,\t" + second + "\n]";
  unpadded.shrink_to_fit();
  return {padded, unpadded};
}

const std::string kSecond =
    Replace(ValidItem("{\"z\":  [1, 2.50, \"\\u00e9\"]}"), "REF-0001", "REF-0002");

TEST(ParseMessageArrayTest, RawPointsAtEachElementInBody) {
  for (const std::string& body : SpacedBodies(ValidItem(), kSecond)) {
    std::string scratch;
    ParsedArray a = ParseMessageArray(body, &scratch);
    ASSERT_TRUE(a.status.ok()) << a.status.ToString();
    ASSERT_EQ(a.items.size(), 2u);
    EXPECT_TRUE(a.items[0].envelope.raw.starts_with(ValidItem()));
    EXPECT_TRUE(a.items[1].envelope.raw.starts_with(kSecond));
    EXPECT_EQ(a.items[1].envelope.sender_unique_reference.value, "REF-0002");
    for (const ParsedItem& it : a.items) {
      EXPECT_GE(it.envelope.raw.data(), body.data());
      EXPECT_LE(it.envelope.raw.data() + it.envelope.raw.size(), body.data() + body.size());
    }
  }
}

TEST(ParseMessageArrayTest, RawIsExactlyTheElementWithoutFollowingWhitespace) {
  for (const std::string& body : SpacedBodies(ValidItem(), kSecond)) {
    std::string scratch;
    ParsedArray a = ParseMessageArray(body, &scratch);
    ASSERT_EQ(a.items.size(), 2u);
    EXPECT_EQ(a.items[0].envelope.raw, ValidItem());
    EXPECT_EQ(a.items[1].envelope.raw, kSecond);
  }
}

}  // namespace
}  // namespace diphub::dip
