// The adapter registry refuses a second adapter under a taken name, and the hub then refuses to
// start, naming it.
#include <gtest/gtest.h>

#include "broker/adapter.h"
#include "broker/hub.h"

namespace diphub::broker {
namespace {

dip::Result<std::unique_ptr<Adapter>> NoAdapter(HubApi&, const YAML::Node&) {
  return dip::Status::Config("not built in this test");
}

TEST(AdapterRegistry, ADuplicateNameIsRefusedAndTheHubWillNotStart) {
  ASSERT_TRUE(AdapterRegistry::CheckUnique().ok());
  EXPECT_TRUE(AdapterRegistry::Register("registry-test", NoAdapter));
  EXPECT_TRUE(AdapterRegistry::CheckUnique().ok());
  EXPECT_FALSE(AdapterRegistry::Register("registry-test", NoAdapter));
  EXPECT_NE(AdapterRegistry::Find("registry-test"), nullptr);

  dip::Status unique = AdapterRegistry::CheckUnique();
  ASSERT_FALSE(unique.ok());
  EXPECT_NE(unique.help().find("\"registry-test\" registered more than once"), std::string::npos)
      << unique.ToString();

  Hub hub{Config{}};
  dip::Status started = hub.Start();
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.help().find("registry-test"), std::string::npos) << started.ToString();
}

}  // namespace
}  // namespace diphub::broker
