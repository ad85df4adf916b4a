// X-DIP signatures on sends (auth.signatures: require): a send signed with the sender's
// registered certificate is accepted; a missing, tampered, stale or foreign signature is refused
// with RCP9999 and 401/403, and nothing is stored. docs/sign-and-send.sh (curl + openssl, the way
// public DIP clients sign) is accepted by the real hub.
#include "dip/signature.h"

#include <gtest/gtest.h>

#include "dip/dip_time.h"
#include "dip/json_writer.h"
#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;
const std::map<std::string, std::string> kAdmin{{"Authorization", "Bearer test-admin"}};

class Signatures : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(dir_, sink_.Url());
    ASSERT_TRUE(hub_->EditConfig("  signatures: verify-if-present\n", "  signatures: require\n"));
    std::string error;
    ASSERT_TRUE(hub_->Start(&error)) << error;
    sds_ = Register("1100000001", "SDS", "DSDS", "demo-sds-key");
    sup_ = Register("1300000001", "SUP", "DSUP", "demo-sup-key");
  }

  // Gives the participant a fresh certificate through the admin API; returns its identity.
  dip::KeyAndCertificate Register(const std::string& id, const std::string& role,
                                  const std::string& mpid, const std::string& key) {
    auto kc = dip::GenerateSelfSigned(id).value();
    dip::JsonWriter w;
    w.BeginObject().Key("role").String(role).Key("mpid").String(mpid).Key("api_key").String(key);
    w.Key("certificate").String(kc.cert_pem).EndObject();
    HttpResult r = hub_->Call("PUT", "/admin/participants/" + id, w.str(), kAdmin);
    EXPECT_EQ(r.status, 200) << r.body;
    return kc;
  }

  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(hub_->http_port()) + "/dip-channel/IF-061";
  }

  // Sends `body` signed with `who` over `signed_body` at `date` for `signed_url`.
  HttpResult SendSigned(const dip::KeyAndCertificate& who, const std::string& body,
                        const std::string& signed_body, const std::string& date,
                        const std::string& signed_url, const std::string& api_key = "demo-sds-key",
                        const std::string& path = "/dip-channel/IF-061") {
    auto signer = dip::Signer::FromPem(who.key_pem, who.cert_pem).value();
    dip::SignatureHeaders h = signer->SignRequest("POST", signed_url, signed_body, date);
    return HttpRequest("127.0.0.1", hub_->http_port(), "POST", path, body,
                       {{"X-API-Key", api_key},
                        {"X-DIP-Signature-Date", h.date},
                        {"X-DIP-Content-Hash", h.content_hash},
                        {"X-DIP-Signature-Certificate", h.certificate},
                        {"X-DIP-Signature", h.signature}});
  }

  static std::string Now() { return dip::FormatSignatureDate(dip::Clock::now()); }

  TempDir dir_;
  RecordingSink sink_;
  std::unique_ptr<HubProcess> hub_;
  dip::KeyAndCertificate sds_, sup_;
};

TEST_F(Signatures, SignedWithTheSendersCertificateIsAccepted) {
  std::string m = MdrStart("S-IF-061-1100000001-SDS-20261122-g1");
  HttpResult r = SendSigned(sds_, m, m, Now(), Url());
  EXPECT_EQ(r.status, 201) << r.body;
  // The URL is compared lowercased, as the DIP does.
  std::string m2 = MdrStart("S-IF-061-1100000001-SDS-20261122-g2");
  std::string upper =
      "http://127.0.0.1:" + std::to_string(hub_->http_port()) + "/DIP-CHANNEL/IF-061";
  EXPECT_EQ(SendSigned(sds_, m2, m2, Now(), upper).status, 201);
}

TEST_F(Signatures, MissingSignatureIs401) {
  HttpResult r = hub_->Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-g3"));
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_NE(r.body.find("RCP9999 - Message Signature Invalid"), std::string::npos) << r.body;
}

TEST_F(Signatures, TamperedBodyStaleDateAndWrongUrlAre401AndNothingIsStored) {
  const std::string ref = "S-IF-061-1100000001-SDS-20261122-g4";
  std::string m = MdrStart(ref);
  std::string other = MdrStart("S-IF-061-1100000001-SDS-20261122-g5");
  HttpResult tampered = SendSigned(sds_, m, other, Now(), Url());
  EXPECT_EQ(tampered.status, 401);
  EXPECT_NE(tampered.body.find("X-DIP-Content-Hash"), std::string::npos) << tampered.body;
  std::string stale = dip::FormatSignatureDate(dip::Clock::now() - std::chrono::minutes(10));
  HttpResult old = SendSigned(sds_, m, m, stale, Url());
  EXPECT_EQ(old.status, 401);
  EXPECT_NE(old.body.find("X-DIP-Signature-Date"), std::string::npos) << old.body;
  HttpResult url = SendSigned(sds_, m, m, Now(), Url() + "-other");
  EXPECT_EQ(url.status, 401);
  EXPECT_NE(url.body.find("X-DIP-Signature:"), std::string::npos) << url.body;
  // None of them was stored: the same reference is still free.
  EXPECT_EQ(SendSigned(sds_, m, m, Now(), Url()).status, 201);
}

TEST_F(Signatures, AnotherParticipantsOrUnknownCertificateIs403) {
  std::string m = MdrStart("S-IF-061-1100000001-SDS-20261122-g6");
  HttpResult as_sup = SendSigned(sup_, m, m, Now(), Url());
  EXPECT_EQ(as_sup.status, 403) << as_sup.body;
  EXPECT_NE(as_sup.body.find("registered to 1300000001"), std::string::npos) << as_sup.body;
  auto stranger = dip::GenerateSelfSigned("stranger").value();
  HttpResult unknown = SendSigned(stranger, m, m, Now(), Url());
  EXPECT_EQ(unknown.status, 403) << unknown.body;
  EXPECT_NE(unknown.body.find("not the certificate of any registered participant"),
            std::string::npos);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink_.count(), 0u);
}

// A status message signed by a participant that names itself DIPConnectionProviderID is refused
// unless it is registered as the reporter's connection provider (#16: this was accepted).
TEST_F(Signatures, AStatusMessageSignedByAnUnregisteredProviderIs403) {
  const std::string ref = "S-IF-061-1100000001-SDS-20261122-g8";
  std::string m = MdrStart(ref);
  HttpResult sent = SendSigned(sds_, m, m, Now(), Url());
  ASSERT_EQ(sent.status, 201) << sent.body;
  ASSERT_EQ(sink_.WaitFor(1, 10s).size(), 1u) << hub_->Log();
  const std::string status =
      "[{\"transactionID\":null,\"senderUniqueReference\":\"" + ref +
      "\",\"correlationID\":null,\"sentTimestamp\":\"2026-11-22T10:00:00+00:00\","
      "\"senderID\":\"1200000001\",\"recipientID\":\"1100000001\","
      "\"DIPConnectionProviderID\":\"1300000001\",\"message\":\"RCP1061\",\"help\":null,"
      "\"serviceTicketURL\":null}]";
  const std::string url =
      "http://127.0.0.1:" + std::to_string(hub_->http_port()) + "/statusmessage";
  HttpResult r = SendSigned(sup_, status, status, Now(), url, "demo-mdr-key", "/statusmessage");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("RCP9999"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("registered to 1300000001"), std::string::npos) << r.body;
  // Once registered as the MDR's provider, the same signer is accepted.
  dip::JsonWriter w;
  w.BeginObject().Key("role").String("MDR").Key("mpid").String("DMDR");
  w.Key("api_key").String("demo-mdr-key").Key("connection_provider").String("1300000001");
  w.EndObject();
  HttpResult edited = hub_->Call("PUT", "/admin/participants/1200000001", w.str(), kAdmin);
  ASSERT_EQ(edited.status, 200) << edited.body;
  r = SendSigned(sup_, status, status, Now(), url, "demo-mdr-key", "/statusmessage");
  EXPECT_EQ(r.status, 201) << r.body;
}

// An absolute-form target (RFC 9112 section 3.2.2) is the URL the client signed, whatever the
// Host header says; a signature over another URL is still refused (#16 item 3).
TEST_F(Signatures, AnAbsoluteFormTargetIsVerifiedAgainstTheUrlItNames) {
  auto raw = [this](const std::string& signed_url, const std::string& ref) {
    std::string m = MdrStart(ref);
    auto signer = dip::Signer::FromPem(sds_.key_pem, sds_.cert_pem).value();
    dip::SignatureHeaders h = signer->SignRequest("POST", signed_url, m, Now());
    return RawHttp(hub_->http_port(),
                   "POST " + Url() + " HTTP/1.1\r\nHost: elsewhere.example\r\n" +
                       "X-API-Key: demo-sds-key\r\nContent-Type: application/json\r\n" +
                       "X-DIP-Signature-Date: " + h.date + "\r\nX-DIP-Content-Hash: " +
                       h.content_hash + "\r\nX-DIP-Signature-Certificate: " + h.certificate +
                       "\r\nX-DIP-Signature: " + h.signature +
                       "\r\nContent-Length: " + std::to_string(m.size()) + "\r\n\r\n" + m);
  };
  HttpResult ok = raw(Url(), "S-IF-061-1100000001-SDS-20261122-abs1");
  EXPECT_EQ(ok.status, 201) << ok.error << ok.body;
  HttpResult other =
      raw("http://elsewhere.example/dip-channel/IF-061", "S-IF-061-1100000001-SDS-20261122-abs2");
  EXPECT_EQ(other.status, 401) << other.error << other.body;
  EXPECT_NE(other.body.find("RCP9999"), std::string::npos) << other.body;
  EXPECT_EQ(sink_.WaitFor(1, 10s).size(), 1u) << hub_->Log();
}

TEST_F(Signatures, TheCurlAndOpensslScriptInDocsIsAccepted) {
  WriteFile(dir_.File("key.pem"), sds_.key_pem);
  WriteFile(dir_.File("cert.pem"), sds_.cert_pem);
  WriteFile(dir_.File("body.json"), MdrStart("S-IF-061-1100000001-SDS-20261122-g7"));
  ChildProcess script("/bin/bash",
                      {DIPHUB_SOURCE_DIR "/docs/sign-and-send.sh", Url(), dir_.File("body.json"),
                       dir_.File("key.pem"), dir_.File("cert.pem"), "demo-sds-key"},
                      dir_.File("script.log"));
  ASSERT_TRUE(script.Start());
  ASSERT_EQ(script.Wait(30s).value_or(-1), 0) << ReadFile(dir_.File("script.log"));
  std::string out = ReadFile(dir_.File("script.log"));
  EXPECT_NE(out.find("HTTP 201"), std::string::npos) << out;
  EXPECT_NE(out.find("MSG0000 - Success"), std::string::npos) << out;
  EXPECT_EQ(sink_.WaitFor(1, 10s).size(), 1u);
}

}  // namespace
}  // namespace diphub::testing
