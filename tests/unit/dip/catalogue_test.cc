#include "dip/catalogue.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "dip/catalogue_data.h"
#include "dip/codes.h"
#include "dip/text.h"

namespace diphub::dip {
namespace {

TEST(CatalogueTest, CanonicalInterfaceIgnoresCase) {
  EXPECT_EQ(CanonicalInterface("IF-061"), "IF-061");
  EXPECT_EQ(CanonicalInterface("if-061"), "IF-061");
  EXPECT_EQ(CanonicalInterface("rep-002a"), "REP-002A");
}

TEST(CatalogueTest, UnknownInterfaceIsNullopt) {
  EXPECT_EQ(CanonicalInterface("IF-999"), std::nullopt);
  EXPECT_EQ(CanonicalInterface("IF-06"), std::nullopt);
  EXPECT_EQ(CanonicalInterface("IF-0611"), std::nullopt);
  EXPECT_EQ(CanonicalInterface(""), std::nullopt);
}

TEST(CatalogueTest, FindEventIf061) {
  const generated::EventRow* row = FindEvent("IF-061", "[MDRStart]");
  ASSERT_NE(row, nullptr);
  EXPECT_STREQ(row->schema_version, "011");
  EXPECT_NE(row->required_blocks & generated::kM0, 0u);
  EXPECT_EQ(FindEvent("IF-061", "[MDRConsumption]"), nullptr);
  EXPECT_EQ(FindEvent("IF-061", "[mdrstart]"), nullptr);  // event codes are case-sensitive
}

TEST(CatalogueTest, If065HasFourEvents) {
  std::set<std::string> events;
  for (std::size_t i = 0; i < generated::kEventCount; ++i) {
    if (std::string_view(generated::kEvents[i].interface_id) == "IF-065") {
      events.insert(generated::kEvents[i].event_code);
    }
  }
  EXPECT_EQ(events, (std::set<std::string>{"[MDRConsumption]", "[MDRInstantaneous]", "[MDRTOU]",
                                           "[ReadingRemote]"}));
  for (const std::string& e : events) EXPECT_NE(FindEvent("IF-065", e), nullptr) << e;
}

TEST(CatalogueTest, KnowsSchemaVersion) {
  EXPECT_TRUE(KnowsSchemaVersion("IF-061", "011"));
  EXPECT_FALSE(KnowsSchemaVersion("IF-061", "010"));
  EXPECT_FALSE(KnowsSchemaVersion("IF-999", "011"));
}

TEST(CatalogueTest, PublicationId) {
  EXPECT_EQ(PublicationId("IF-061"), "PUB-061");
  EXPECT_EQ(PublicationId("IF-065"), "PUB-065");
  EXPECT_EQ(PublicationId("REP-002A"), "REP-002A");
}

TEST(CatalogueTest, ChannelInterfaceAcceptsInterfaceOrPublication) {
  EXPECT_EQ(ChannelInterface("PUB-061"), "IF-061");
  EXPECT_EQ(ChannelInterface("pub-061"), "IF-061");
  EXPECT_EQ(ChannelInterface("IF-061"), "IF-061");
  EXPECT_EQ(ChannelInterface("rep-002a"), "REP-002A");
  EXPECT_EQ(ChannelInterface("PUB-"), std::nullopt);
  EXPECT_EQ(ChannelInterface("PUB-999"), std::nullopt);
}

TEST(CatalogueTest, EveryEventBelongsToAKnownInterface) {
  ASSERT_GT(generated::kEventCount, 0u);
  for (std::size_t i = 0; i < generated::kEventCount; ++i) {
    const generated::EventRow& row = generated::kEvents[i];
    EXPECT_EQ(CanonicalInterface(ToLowerAscii(row.interface_id)), row.interface_id);
    EXPECT_EQ(FindEvent(row.interface_id, row.event_code)->interface_id,
              std::string_view(row.interface_id));
    EXPECT_TRUE(KnowsSchemaVersion(row.interface_id, row.schema_version)) << row.interface_id;
    EXPECT_NE(row.required_blocks & generated::kS0, 0u) << row.interface_id;
  }
}

// The schema walk looks a field's name up starting after the property it matched last
// (message_walk.cc): that finds the same property as a search from the first only while no
// schema has two properties whose names match case-insensitively.
TEST(CatalogueTest, NoSchemaHasTwoPropertiesOfOneNameIgnoringCase) {
  namespace gen = diphub::dip::generated;
  for (std::size_t node = 0; node < gen::kSchemaNodeCount; ++node) {
    const gen::SchemaNode& n = gen::kSchemaNodes[node];
    std::set<std::string> names;
    for (std::uint32_t i = 0; i < n.property_count; ++i) {
      std::string_view name = gen::kProperties[n.first_property + i].name;
      EXPECT_TRUE(names.insert(diphub::dip::ToLowerAscii(name)).second)
          << "node " << node << " lists " << name << " twice (ignoring case)";
    }
  }
}

TEST(CodesTest, CodeMessageCarriesTitle) {
  EXPECT_EQ(CodeMessage("MSG1001"), "MSG1001 - Schema Failure");
  EXPECT_EQ(CodeMessage(codes::kSuccess), "MSG0000 - Success");
  EXPECT_EQ(CodeTitle(codes::kDuplicateReference), "Sender Unique Reference Duplicated");
}

TEST(CodesTest, EveryCodeDiphubUsesHasATitle) {
  for (std::string_view c :
       {codes::kSuccess, codes::kProcessingFailed, codes::kSchemaFailure, codes::kInterfaceInvalid,
        codes::kDuplicateReference, codes::kTimestampInvalid, codes::kSenderInvalid,
        codes::kRoleInvalid, codes::kConnectionProviderInvalid, codes::kCorrelationInvalid,
        codes::kAddressingError, codes::kPrimaryRecipientInvalid}) {
    EXPECT_FALSE(CodeTitle(c).empty()) << c;
  }
}

TEST(CodesTest, UnknownCodeHasNoTitle) {
  EXPECT_EQ(CodeTitle("MSG9998"), "");
  EXPECT_EQ(CodeMessage("MSG9998"), "MSG9998");
}

}  // namespace
}  // namespace diphub::dip
