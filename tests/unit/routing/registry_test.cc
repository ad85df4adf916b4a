#include "routing/registry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace diphub::routing {
namespace {

Participant P(std::string dip_id, std::string role, std::string api_key = "") {
  Participant p;
  p.dip_id = std::move(dip_id);
  p.role = std::move(role);
  p.api_key = std::move(api_key);
  return p;
}

std::vector<Participant> Demo() {
  return {P("1100000001", "SDS", "sds-key"), P("1200000001", "MDR", "mdr-key"),
          P("1300000001", "SUP")};
}

std::shared_ptr<const Registry> Built(std::vector<Participant> ps) {
  auto r = Registry::Build(std::move(ps));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : nullptr;
}

TEST(IsValidDipIdTest, TenDigitsOrUpperCaseLetters) {
  EXPECT_TRUE(IsValidDipId("1100000001"));
  EXPECT_TRUE(IsValidDipId("ABCDEF0123"));
  EXPECT_FALSE(IsValidDipId("110000001"));
  EXPECT_FALSE(IsValidDipId("11000000011"));
  EXPECT_FALSE(IsValidDipId("abcdef0123"));
  EXPECT_FALSE(IsValidDipId("11000-0001"));
  EXPECT_FALSE(IsValidDipId(""));
}

TEST(RegistryTest, BuildRejectsBadDipIds) {
  for (const char* bad : {"123", "110000000a", "11000000011", ""}) {
    auto r = Registry::Build({P(bad, "SDS")});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), dip::Status::kConfigCode);
    EXPECT_NE(r.status().help().find("dip_id"), std::string::npos) << r.status().help();
  }
}

TEST(RegistryTest, BuildRejectsBadRole) {
  EXPECT_FALSE(Registry::Build({P("1100000001", "")}).ok());
  EXPECT_FALSE(Registry::Build({P("1100000001", "TOOLONG")}).ok());
}

TEST(RegistryTest, BuildRejectsDuplicateDipIds) {
  auto r = Registry::Build({P("1100000001", "SDS"), P("1100000001", "MDR")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().help().find("1100000001"), std::string::npos);
  EXPECT_NE(r.status().help().find("twice"), std::string::npos) << r.status().help();
}

TEST(RegistryTest, BuildRejectsDuplicateApiKeys) {
  auto r = Registry::Build({P("1100000001", "SDS", "k"), P("1200000001", "MDR", "k")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().help().find("api_key"), std::string::npos) << r.status().help();
  // Participants without a key do not clash with each other.
  EXPECT_TRUE(Registry::Build({P("1100000001", "SDS"), P("1200000001", "MDR")}).ok());
}

TEST(RegistryTest, FindByIdAndApiKey) {
  auto reg = Built(Demo());
  ASSERT_NE(reg, nullptr);
  ASSERT_NE(reg->Find("1200000001"), nullptr);
  EXPECT_EQ(reg->Find("1200000001")->role, "MDR");
  EXPECT_EQ(reg->Find("1900000001"), nullptr);
  EXPECT_EQ(reg->Find("120000000"), nullptr);
  ASSERT_NE(reg->FindByApiKey("sds-key"), nullptr);
  EXPECT_EQ(reg->FindByApiKey("sds-key")->dip_id, "1100000001");
  EXPECT_EQ(reg->FindByApiKey("SDS-KEY"), nullptr);  // keys are secrets: exact match
  EXPECT_EQ(reg->FindByApiKey(""), nullptr);         // no key never finds the key-less one
  EXPECT_EQ(reg->all().size(), 3u);
}

TEST(RegistryTest, WithReplacesByDipIdOrAdds) {
  auto reg = Built(Demo());
  ASSERT_NE(reg, nullptr);
  auto replaced = reg->With(P("1200000001", "MDR", "new-key"));
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  const Registry& r2 = *replaced.value();
  EXPECT_EQ(r2.all().size(), 3u);
  EXPECT_EQ(r2.FindByApiKey("mdr-key"), nullptr);
  ASSERT_NE(r2.FindByApiKey("new-key"), nullptr);
  EXPECT_EQ(r2.FindByApiKey("new-key")->dip_id, "1200000001");
  // The original snapshot is unchanged.
  EXPECT_NE(reg->FindByApiKey("mdr-key"), nullptr);

  auto added = reg->With(P("1400000001", "REGS", "regs-key"));
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added.value()->all().size(), 4u);
  EXPECT_NE(added.value()->Find("1400000001"), nullptr);
  EXPECT_EQ(reg->Find("1400000001"), nullptr);
}

TEST(RegistryTest, WithRefusesAKeyOwnedByAnother) {
  auto reg = Built(Demo());
  ASSERT_NE(reg, nullptr);
  EXPECT_FALSE(reg->With(P("1400000001", "REGS", "sds-key")).ok());
  EXPECT_FALSE(reg->With(P("bad", "REGS")).ok());
}

TEST(RegistryTest, WithoutRemoves) {
  auto reg = Built(Demo());
  ASSERT_NE(reg, nullptr);
  auto less = reg->Without("1100000001");
  ASSERT_TRUE(less.ok());
  EXPECT_EQ(less.value()->all().size(), 2u);
  EXPECT_EQ(less.value()->Find("1100000001"), nullptr);
  EXPECT_EQ(less.value()->FindByApiKey("sds-key"), nullptr);
  EXPECT_NE(less.value()->Find("1200000001"), nullptr);
  auto same = reg->Without("1900000001");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same.value()->all().size(), 3u);
}

TEST(ParticipantTest, WebhookForPrefersChannelOverDefault) {
  Participant p = P("1200000001", "MDR");
  EXPECT_EQ(p.WebhookFor("IF-061"), nullptr);
  p.webhooks["*"] = Webhook{"http://127.0.0.1:9000/all", 0, 0};
  p.webhooks["IF-061"] = Webhook{"http://127.0.0.1:9000/061", 5, 0};
  ASSERT_NE(p.WebhookFor("IF-061"), nullptr);
  EXPECT_EQ(p.WebhookFor("IF-061")->url, "http://127.0.0.1:9000/061");
  EXPECT_EQ(p.WebhookFor("IF-061")->max_messages, 5u);
  ASSERT_NE(p.WebhookFor("IF-065"), nullptr);
  EXPECT_EQ(p.WebhookFor("IF-065")->url, "http://127.0.0.1:9000/all");
}

}  // namespace
}  // namespace diphub::routing
