// TLS on the DIP API listener (http.tls): a client presenting a certificate signed by the
// configured client CA sends over HTTPS, signing the https URL the way public DIP clients do
// (docs/sign-and-send.sh with curl); a client without a certificate, and plain HTTP on the TLS
// port, get no HTTP exchange; a key file that cannot be loaded stops the start with its name.
#include <gtest/gtest.h>

#include "dip/signature.h"
#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    // The hub's server certificate, for 127.0.0.1 (curl checks the IP in subjectAltName).
    ChildProcess openssl("/usr/bin/openssl",
                         {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                          "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                          dir_.File("hub-key.pem"), "-out", dir_.File("hub-cert.pem")},
                         dir_.File("openssl.log"));
    ASSERT_TRUE(openssl.Start());
    ASSERT_EQ(openssl.Wait(60s).value_or(-1), 0) << ReadFile(dir_.File("openssl.log"));
    // The client's TLS identity (self-signed: it is its own CA) and the SDS's signing identity.
    client_ = dip::GenerateSelfSigned("tls client").value();
    WriteFile(dir_.File("client-key.pem"), client_.key_pem);
    WriteFile(dir_.File("client-cert.pem"), client_.cert_pem);
    sds_ = dip::GenerateSelfSigned("1100000001").value();
    WriteFile(dir_.File("sds-key.pem"), sds_.key_pem);
    WriteFile(dir_.File("sds-cert.pem"), sds_.cert_pem);
  }

  void StartHub(const std::string& key_file) {
    hub_ = std::make_unique<HubProcess>(
        dir_, sink_.Url(),
        "http:\n  tls:\n    certificate_file: " + dir_.File("hub-cert.pem") +
            "\n    private_key_file: " + key_file +
            "\n    client_ca_file: " + dir_.File("client-cert.pem") + "\n");
    ASSERT_TRUE(hub_->EditConfig(
        "api_key: demo-sds-key}",
        "api_key: demo-sds-key, certificate_file: " + dir_.File("sds-cert.pem") + "}"));
    ASSERT_TRUE(hub_->EditConfig("  signatures: verify-if-present\n", "  signatures: require\n"));
  }

  std::string Url(const std::string& scheme) const {
    return scheme + "://127.0.0.1:" + std::to_string(hub_->http_port()) + "/dip-channel/IF-061";
  }

  // Runs docs/sign-and-send.sh with `curl_args`; returns its exit code and output.
  std::pair<int, std::string> SignAndSend(const std::string& url, const std::string& reference,
                                          std::vector<std::string> curl_args) {
    WriteFile(dir_.File("body.json"), MdrStart(reference));
    std::vector<std::string> args = {DIPHUB_SOURCE_DIR "/docs/sign-and-send.sh",
                                     url,
                                     dir_.File("body.json"),
                                     dir_.File("sds-key.pem"),
                                     dir_.File("sds-cert.pem"),
                                     "demo-sds-key"};
    args.insert(args.end(), curl_args.begin(), curl_args.end());
    ChildProcess script("/bin/bash", args, dir_.File("script.log"));
    EXPECT_TRUE(script.Start());
    const int code = script.Wait(30s).value_or(-1);
    return {code, ReadFile(dir_.File("script.log"))};
  }

  TempDir dir_;
  RecordingSink sink_;
  std::unique_ptr<HubProcess> hub_;
  dip::KeyAndCertificate client_, sds_;
};

TEST_F(Tls, ClientCertificateAndSignedHttpsSendIsAccepted) {
  StartHub(dir_.File("hub-key.pem"));
  std::string error;
  ASSERT_TRUE(hub_->Start(&error)) << error;
  auto [code, out] =
      SignAndSend(Url("https"), "S-IF-061-1100000001-SDS-20261122-t1",
                  {"--cacert", dir_.File("hub-cert.pem"), "--cert", dir_.File("client-cert.pem"),
                   "--key", dir_.File("client-key.pem")});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("HTTP 201"), std::string::npos) << out;
  EXPECT_EQ(sink_.WaitFor(1, 10s).size(), 1u);
}

TEST_F(Tls, NoClientCertificateOrPlainHttpGetsNoExchange) {
  StartHub(dir_.File("hub-key.pem"));
  std::string error;
  ASSERT_TRUE(hub_->Start(&error)) << error;
  // TLS without a client certificate: the handshake is refused (curl exits non-zero, no status).
  auto [code, out] = SignAndSend(Url("https"), "S-IF-061-1100000001-SDS-20261122-t2",
                                 {"--cacert", dir_.File("hub-cert.pem")});
  EXPECT_NE(code, 0) << out;
  EXPECT_EQ(out.find("HTTP 201"), std::string::npos) << out;
  // Plain HTTP on the TLS port: no HTTP answer.
  auto [plain_code, plain_out] =
      SignAndSend(Url("http"), "S-IF-061-1100000001-SDS-20261122-t3", {});
  EXPECT_EQ(plain_out.find("HTTP 201"), std::string::npos) << plain_out;
  EXPECT_NE(plain_out.find("HTTP 000"), std::string::npos) << plain_out;
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink_.count(), 0u);
}

TEST_F(Tls, UnreadableKeyStopsTheStartNamingIt) {
  StartHub(dir_.File("missing-key.pem"));
  std::string error;
  ASSERT_FALSE(hub_->Start(&error));
  EXPECT_NE(error.find("http.tls.private_key_file"), std::string::npos) << error;
}

}  // namespace
}  // namespace diphub::testing
