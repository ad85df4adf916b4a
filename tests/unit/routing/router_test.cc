#include "routing/router.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "routing/shard.h"

namespace diphub::routing {
namespace {

std::shared_ptr<const Registry> Demo() {
  std::vector<Participant> ps;
  for (const char* id : {"1100000001", "1200000001", "1300000001"}) {
    Participant p;
    p.dip_id = id;
    p.role = "SUP";
    ps.push_back(p);
  }
  auto r = Registry::Build(std::move(ps));
  EXPECT_TRUE(r.ok());
  return r.value();
}

dip::Envelope Addressed(std::vector<std::string> recipients) {
  dip::Envelope env;
  env.has_a0 = true;
  env.primary_recipients_present = true;
  env.primary_recipients = std::move(recipients);
  return env;
}

std::vector<std::string> Ids(const std::vector<Recipient>& rs) {
  std::vector<std::string> out;
  for (const Recipient& r : rs) {
    EXPECT_EQ(r.kind, Recipient::Kind::kPrimary);
    out.push_back(r.dip_id);
  }
  return out;
}

TEST(RouteTest, PrimaryRecipientsInOrderNamed) {
  auto reg = Demo();
  auto r = Route(Addressed({"1300000001", "1200000001"}), *reg);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Ids(r.value()), (std::vector<std::string>{"1300000001", "1200000001"}));
}

TEST(RouteTest, NoA0IsAddressingError) {
  auto reg = Demo();
  dip::Envelope env;
  auto r = Route(env, *reg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "MSG1030");
  EXPECT_NE(r.status().help().find("A0.primaryRecipients"), std::string::npos);

  env.has_a0 = true;  // A0 without primaryRecipients
  r = Route(env, *reg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "MSG1030");
}

TEST(RouteTest, EmptyListIsAddressingError) {
  auto reg = Demo();
  auto r = Route(Addressed({}), *reg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "MSG1030");
}

TEST(RouteTest, UnknownRecipientNamesItsIndex) {
  auto reg = Demo();
  auto r = Route(Addressed({"1200000001", "1900000009"}), *reg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "MSG1031");
  EXPECT_NE(r.status().help().find("A0.primaryRecipients[1]"), std::string::npos)
      << r.status().help();
  EXPECT_NE(r.status().help().find("1900000009"), std::string::npos) << r.status().help();
}

TEST(RouteTest, DuplicatesCollapsed) {
  auto reg = Demo();
  auto r = Route(Addressed({"1200000001", "1100000001", "1200000001", "1100000001"}), *reg);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Ids(r.value()), (std::vector<std::string>{"1200000001", "1100000001"}));
}

TEST(ShardForTest, StableAndInRange) {
  for (std::size_t shards : {1u, 2u, 7u, 64u}) {
    for (const char* key : {"", "2000056535971", "1100000001"}) {
      std::size_t s = ShardFor(key, shards);
      EXPECT_LT(s, shards);
      EXPECT_EQ(s, ShardFor(std::string(key), shards));
    }
  }
}

// shard.h promises FNV-1a (64-bit), so the owner of a key can be computed by any tool.
TEST(ShardForTest, IsFnv1a64) {
  EXPECT_EQ(ShardFor("", 1000), 14695981039346656037ull % 1000);
  EXPECT_EQ(ShardFor("a", 1000), 12638187200555641996ull % 1000);
}

TEST(ShardForTest, SpreadsKeysOverEveryShard) {
  std::vector<std::size_t> counts(4, 0);
  for (int i = 0; i < 1000; ++i) {
    std::string mpan = std::to_string(2000000000000LL + i * 7919LL);
    counts[ShardFor(mpan, 4)]++;
  }
  for (std::size_t c : counts) {
    EXPECT_GT(c, 150u);
    EXPECT_LT(c, 350u);
  }
}

}  // namespace
}  // namespace diphub::routing
