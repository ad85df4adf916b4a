// Where webhooks may point (#16 item 4, SSRF): the URL syntax and the internal-address policy.
#include "broker/webhook_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/webhook_url.h"

namespace diphub::broker {
namespace {

namespace ip = boost::asio::ip;

TEST(ParseWebhookUrlTest, HttpWithPortPathAndQuery) {
  dip::Result<WebhookUrl> u = ParseWebhookUrl("http://127.0.0.1:9000/dip/in?x=1");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u.value().scheme, "http");
  EXPECT_EQ(u.value().host, "127.0.0.1");
  EXPECT_EQ(u.value().port, "9000");
  EXPECT_EQ(u.value().target, "/dip/in?x=1");
  EXPECT_FALSE(u.value().tls());
}

TEST(ParseWebhookUrlTest, DefaultPortsAndPath) {
  dip::Result<WebhookUrl> u = ParseWebhookUrl("http://example.com");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u.value().port, "80");
  EXPECT_EQ(u.value().target, "/");
  dip::Result<WebhookUrl> s = ParseWebhookUrl("https://example.com/hook#frag");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s.value().tls());
  EXPECT_EQ(s.value().port, "443");
  EXPECT_EQ(s.value().target, "/hook");
}

TEST(ParseWebhookUrlTest, Ipv6Host) {
  dip::Result<WebhookUrl> u = ParseWebhookUrl("http://[2001:db8::1]:9000/dip");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u.value().host, "2001:db8::1");
  EXPECT_EQ(u.value().port, "9000");
  EXPECT_FALSE(ParseWebhookUrl("http://[::1:9000/dip").ok());
}

TEST(ParseWebhookUrlTest, MalformedOrOtherSchemesRefused) {
  for (const char* bad : {"example.com/dip", "http:///dip", "http://host:/dip", "ftp://h/x",
                          "http://host:0/x", "http://host:65536/x", "http://host:8x/x"}) {
    EXPECT_FALSE(ParseWebhookUrl(bad).ok()) << bad;
  }
}

TEST(ParseWebhookUrlTest, CredentialsRefused) {
  for (const char* url : {"http://user:pw@example.com/dip", "https://user@example.com/dip",
                          "http://:pw@example.com/"}) {
    dip::Result<WebhookUrl> u = ParseWebhookUrl(url);
    ASSERT_FALSE(u.ok()) << url;
    EXPECT_NE(u.status().help().find("credentials"), std::string::npos) << u.status().help();
  }
}

TEST(InternalAddressKindTest, InternalAndPublicAddresses) {
  const std::vector<std::string> internal = {"127.0.0.1",
                                             "127.255.0.9",
                                             "10.1.2.3",
                                             "172.16.0.1",
                                             "172.31.255.255",
                                             "192.168.1.1",
                                             "169.254.169.254",
                                             "0.0.0.0",
                                             "100.64.0.1",
                                             "224.0.0.1",
                                             "255.255.255.255",
                                             "::1",
                                             "::",
                                             "fe80::1",
                                             "fc00::1",
                                             "fd12:3456::1",
                                             "::ffff:127.0.0.1",
                                             "::ffff:169.254.169.254",
                                             "64:ff9b::a00:1",
                                             "2002:7f00:1::",
                                             "ff02::1"};
  for (const std::string& a : internal) {
    EXPECT_NE(InternalAddressKind(ip::make_address(a)), nullptr) << a;
  }
  for (const char* a : {"8.8.8.8", "172.32.0.1", "192.169.0.1", "2001:4860:4860::8888",
                        "::ffff:8.8.8.8", "1.1.1.1"}) {
    EXPECT_EQ(InternalAddressKind(ip::make_address(a)), nullptr) << a;
  }
  EXPECT_STREQ(InternalAddressKind(ip::make_address("169.254.169.254")),
               "link-local (169.254.0.0/16, cloud metadata)");
}

TEST(WebhookPolicyTest, DefaultRefusesInternalUrlsNamingTheRule) {
  const WebhookPolicy policy;
  for (const char* url :
       {"http://127.0.0.1:9000/dip", "http://10.0.0.5/dip", "http://172.16.4.4/dip",
        "http://192.168.0.10/dip", "http://169.254.169.254/latest/meta-data", "http://[::1]/dip",
        "http://[fe80::1]/dip", "http://[fc00::1]/dip", "http://[::ffff:127.0.0.1]/dip",
        "http://0.0.0.0:8080/", "https://localhost/dip", "http://LocalHost./dip",
        "http://api.localhost:9000/", "http://2130706433/dip", "http://0x7f000001/dip",
        "http://0x7f.1/dip", "http://127.1/dip", "http://0177.0.0.1/dip", "http://017700000001/"}) {
    dip::Status s = policy.CheckUrl(url);
    EXPECT_FALSE(s.ok()) << url;
    EXPECT_NE(s.help().find("webhooks.allow_internal"), std::string::npos) << s.help();
  }
  dip::Status creds = policy.CheckUrl("http://u:p@hub.example.com/dip");
  EXPECT_FALSE(creds.ok());
  EXPECT_NE(creds.help().find("credentials"), std::string::npos) << creds.help();
  // Public addresses and names pass registration (names are checked again at connect time).
  for (const char* url : {"https://dip.example.com/hook", "http://8.8.8.8/dip",
                          "http://[2001:4860:4860::8888]:8443/dip", "http://134744072/dip"}) {
    EXPECT_TRUE(policy.CheckUrl(url).ok()) << url << ": " << policy.CheckUrl(url).help();
  }
}

TEST(WebhookPolicyTest, AllowListLetsThroughOnlyItsBlocks) {
  auto made = WebhookPolicy::Make({"127.0.0.0/8", "::1/128", "10.1.0.0/16", "192.168.5.7"});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  const WebhookPolicy& policy = made.value();
  for (const char* ok :
       {"127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "10.1.200.3", "192.168.5.7"}) {
    EXPECT_EQ(policy.Refusal(ip::make_address(ok)), "") << ok;
  }
  for (const char* refused : {"10.2.0.1", "192.168.5.8", "169.254.169.254", "fe80::1", "::"}) {
    EXPECT_NE(policy.Refusal(ip::make_address(refused)), "") << refused;
  }
  EXPECT_TRUE(policy.CheckUrl("http://localhost:9000/dip").ok());
  EXPECT_TRUE(policy.CheckUrl("http://127.0.0.1:9000/dip").ok());
  EXPECT_FALSE(policy.CheckUrl("http://10.2.0.1/dip").ok());
  EXPECT_EQ(policy.allow_internal().size(), 4u);
}

TEST(WebhookPolicyTest, BadAllowListEntriesAreNamed) {
  for (const char* bad :
       {"localhost", "127.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/x", "300.1.1.1/8"}) {
    auto made = WebhookPolicy::Make({bad});
    ASSERT_FALSE(made.ok()) << bad;
    EXPECT_NE(made.status().help().find(bad), std::string::npos) << made.status().help();
  }
}

}  // namespace
}  // namespace diphub::broker
