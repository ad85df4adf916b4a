#include "adapters/http/config.h"

#include <gtest/gtest.h>

#include <string>

namespace diphub::adapters::http {
namespace {

TEST(HttpAdapterConfigTest, TlsNeedsCertificateAndKey) {
  auto on = ParseHttpAdapterConfig(YAML::Load(
      "tls: {certificate_file: /c.pem, private_key_file: /k.pem, client_ca_file: /ca.pem}"));
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_EQ(on.value().tls.certificate_file, "/c.pem");
  EXPECT_EQ(on.value().tls.private_key_file, "/k.pem");
  EXPECT_EQ(on.value().tls.client_ca_file, "/ca.pem");
  EXPECT_TRUE(ParseHttpAdapterConfig(YAML::Load("listen: 127.0.0.1:0"))
                  .value()
                  .tls.certificate_file.empty());

  auto no_key = ParseHttpAdapterConfig(YAML::Load("tls: {certificate_file: /c.pem}"));
  ASSERT_FALSE(no_key.ok());
  EXPECT_NE(no_key.status().help().find("http.tls: certificate_file and private_key_file"),
            std::string::npos);
  auto typo = ParseHttpAdapterConfig(
      YAML::Load("tls: {certificate_file: /c, private_key_file: /k, client_ca: /x}"));
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().help().find("client_ca"), std::string::npos) << typo.status().help();
  EXPECT_FALSE(ParseHttpAdapterConfig(YAML::Load("tls: yes")).ok());
}

TEST(ParseListenTest, HostAndPort) {
  std::string host;
  std::uint16_t port = 1;
  ASSERT_TRUE(ParseListen("127.0.0.1:8080", &host, &port).ok());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(ParseListen("[::1]:0", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(ParseListen("0.0.0.0:65535", &host, &port).ok());
  EXPECT_EQ(port, 65535);
}

TEST(ParseListenTest, BadListenRefused) {
  std::string host = "unchanged";
  std::uint16_t port = 7;
  for (const char* bad :
       {"127.0.0.1", "127.0.0.1:", ":8080", "127.0.0.1:65536", "127.0.0.1:80x", "127.0.0.1:-1"}) {
    dip::Status s = ParseListen(bad, &host, &port);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.help().find(bad), std::string::npos) << s.help();
  }
  EXPECT_EQ(host, "unchanged");
  EXPECT_EQ(port, 7);
}

TEST(ParseHttpAdapterConfigTest, Defaults) {
  const YAML::Node root = YAML::Load("hub: {}\n");
  ASSERT_FALSE(root["http"].IsDefined());  // no http: section at all
  dip::Result<HttpAdapterConfig> c = ParseHttpAdapterConfig(root["http"]);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value().host, "127.0.0.1");
  EXPECT_EQ(c.value().port, 8080);
  EXPECT_EQ(c.value().threads, 2u);
  EXPECT_EQ(c.value().max_body_bytes, 16u << 20);
  EXPECT_EQ(c.value().webhook_timeout.count(), 10000);

  dip::Result<HttpAdapterConfig> empty = ParseHttpAdapterConfig(YAML::Load("{}"));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty.value().port, 8080);
}

TEST(ParseHttpAdapterConfigTest, ReadsEveryKey) {
  dip::Result<HttpAdapterConfig> c = ParseHttpAdapterConfig(
      YAML::Load("listen: \"[::1]:0\"\nthreads: 4\nmax_body_bytes: 2048\nmax_connections: 10\n"
                 "idle_timeout_ms: 1500\nwebhook_timeout_ms: 250\n"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c.value().host, "::1");
  EXPECT_EQ(c.value().port, 0);
  EXPECT_EQ(c.value().threads, 4u);
  EXPECT_EQ(c.value().max_body_bytes, 2048u);
  EXPECT_EQ(c.value().max_connections, 10u);
  EXPECT_EQ(c.value().idle_timeout.count(), 1500);
  EXPECT_EQ(c.value().webhook_timeout.count(), 250);
}

TEST(ParseHttpAdapterConfigTest, UnknownKeyNamed) {
  dip::Result<HttpAdapterConfig> c = ParseHttpAdapterConfig(YAML::Load("lisen: 1.2.3.4:5\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().help().find("\"lisen\""), std::string::npos) << c.status().help();
}

TEST(ParseHttpAdapterConfigTest, BadValuesRefused) {
  dip::Result<HttpAdapterConfig> listen = ParseHttpAdapterConfig(YAML::Load("listen: nowhere\n"));
  ASSERT_FALSE(listen.ok());
  EXPECT_NE(listen.status().help().find("http.listen"), std::string::npos)
      << listen.status().help();
  dip::Result<HttpAdapterConfig> threads = ParseHttpAdapterConfig(YAML::Load("threads: 0\n"));
  ASSERT_FALSE(threads.ok());
  EXPECT_NE(threads.status().help().find("http.threads"), std::string::npos);
  EXPECT_FALSE(ParseHttpAdapterConfig(YAML::Load("threads: lots\n")).ok());
  EXPECT_FALSE(ParseHttpAdapterConfig(YAML::Load("max_body_bytes: 10\n")).ok());
  EXPECT_FALSE(ParseHttpAdapterConfig(YAML::Load("webhook_timeout_ms: 0\n")).ok());
}

}  // namespace
}  // namespace diphub::adapters::http
