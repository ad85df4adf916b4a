#include "dip/signature.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>
#include <thread>
#include <vector>

namespace diphub::dip {
namespace {

constexpr std::string_view kUrl = "http://127.0.0.1:9000/dip";
constexpr std::string_view kDate = "2025-06-27T14:29:09.061Z";
constexpr std::string_view kBody = R"([{"payload":{"CommonBlock":{}}}])";

// One key pair for the whole suite: RSA key generation is slow.
class SignatureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<KeyAndCertificate> kc = GenerateSelfSigned("diphub-test");
    ASSERT_TRUE(kc.ok()) << kc.status().ToString();
    key_ = new KeyAndCertificate(kc.value());
    Result<std::shared_ptr<const Signer>> s = Signer::FromPem(key_->key_pem, key_->cert_pem);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    signer_ = new std::shared_ptr<const Signer>(s.value());
  }
  static void TearDownTestSuite() {
    delete signer_;
    delete key_;
  }
  const Signer& signer() { return **signer_; }

  static KeyAndCertificate* key_;
  static std::shared_ptr<const Signer>* signer_;
};
KeyAndCertificate* SignatureTest::key_ = nullptr;
std::shared_ptr<const Signer>* SignatureTest::signer_ = nullptr;

TEST_F(SignatureTest, GeneratedPemsLookLikePem) {
  EXPECT_NE(key_->key_pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_NE(key_->cert_pem.find("-----BEGIN CERTIFICATE-----"), std::string::npos);
  EXPECT_EQ(signer().certificate_pem(), key_->cert_pem);
  Result<std::string> decoded = Base64Decode(signer().certificate_b64());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value(), key_->cert_pem);
}

TEST_F(SignatureTest, SignedRequestVerifies) {
  SignatureHeaders h = signer().SignRequest("POST", kUrl, kBody, kDate);
  EXPECT_EQ(h.date, kDate);
  EXPECT_EQ(h.content_hash, ContentHash(kBody));
  EXPECT_EQ(h.certificate, signer().certificate_b64());
  EXPECT_FALSE(h.signature.empty());
  Status s = VerifyRequest("POST", kUrl, kBody, h);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(SignatureTest, TamperedBodyFailsOnContentHash) {
  SignatureHeaders h = signer().SignRequest("POST", kUrl, kBody, kDate);
  Status s = VerifyRequest("POST", kUrl, std::string(kBody) + " ", h);
  EXPECT_EQ(s.code(), "RCP9999");
  EXPECT_NE(s.help().find("Content-Hash"), std::string::npos) << s.help();
}

TEST_F(SignatureTest, TamperedUrlDateOrMethodFailsOnSignature) {
  SignatureHeaders h = signer().SignRequest("POST", kUrl, kBody, kDate);
  Status url = VerifyRequest("POST", "http://127.0.0.1:9000/other", kBody, h);
  EXPECT_EQ(url.code(), "RCP9999");
  EXPECT_NE(url.help().find("X-DIP-Signature:"), std::string::npos) << url.help();

  SignatureHeaders later = h;
  later.date = "2025-06-27T14:29:09.062Z";
  Status date = VerifyRequest("POST", kUrl, kBody, later);
  EXPECT_EQ(date.code(), "RCP9999");
  EXPECT_NE(date.help().find("X-DIP-Signature:"), std::string::npos) << date.help();

  EXPECT_EQ(VerifyRequest("PUT", kUrl, kBody, h).code(), "RCP9999");
}

TEST_F(SignatureTest, MissingOrForeignHeadersFail) {
  SignatureHeaders h = signer().SignRequest("POST", kUrl, kBody, kDate);
  SignatureHeaders none = h;
  none.signature.clear();
  EXPECT_EQ(VerifyRequest("POST", kUrl, kBody, none).code(), "RCP9999");
  SignatureHeaders bad_cert = h;
  bad_cert.certificate = Base64Encode("not a certificate");
  EXPECT_EQ(VerifyRequest("POST", kUrl, kBody, bad_cert).code(), "RCP9999");
}

TEST_F(SignatureTest, UrlComparedCaseInsensitively) {
  EXPECT_EQ(SigningString("POST", "HTTP://Host:80/DIP", "d", "h"), "POST;http://host:80/dip;d;h");
  SignatureHeaders h = signer().SignRequest("POST", "http://LocalHost:9000/Dip", kBody, kDate);
  Status s = VerifyRequest("POST", "http://localhost:9000/dip", kBody, h);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(SignatureTest, FromPemRejectsMismatchedKeyAndCertificate) {
  Result<KeyAndCertificate> other = GenerateSelfSigned("other");
  ASSERT_TRUE(other.ok());
  Result<std::shared_ptr<const Signer>> s = Signer::FromPem(other.value().key_pem, key_->cert_pem);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().help().find("does not match"), std::string::npos) << s.status().help();
  EXPECT_FALSE(Signer::FromPem("garbage", key_->cert_pem).ok());
  EXPECT_FALSE(Signer::FromPem(key_->key_pem, "garbage").ok());
}

// RSA-SHA256 with PKCS#1 v1.5 padding as OpenSSL's one-shot EVP_DigestSign (what `openssl dgst
// -sha256 -sign` does) makes it, straight from the key's PEM.
std::string OneShotSignature(const std::string& key_pem, std::string_view data) {
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string sig(512, '\0');
  std::size_t len = sig.size();
  const bool ok =
      key != nullptr && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  if (!ok) return "";
  sig.resize(len);
  return Base64Encode(sig);
}

// PKCS#1 v1.5 signatures are deterministic: the signer's, made on its kept contexts, are
// OpenSSL's own one-shot signature of the same text, byte for byte, whichever thread signs and
// however many sign at once.
TEST_F(SignatureTest, SignatureIsOpenSslsOneShotSignatureFromAnyThread) {
  constexpr int kThreads = 4, kEach = 8;
  std::vector<std::string> texts;
  for (int i = 0; i < kThreads * kEach; ++i) {
    texts.push_back(SigningString("POST", kUrl, kDate, ContentHash(std::to_string(i))));
  }
  std::vector<std::string> expected;
  for (const std::string& t : texts) expected.push_back(OneShotSignature(key_->key_pem, t));
  ASSERT_FALSE(expected.front().empty());
  ASSERT_NE(expected[0], expected[1]);

  std::vector<std::string> got(texts.size());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kThreads * kEach; i += kThreads) {
        Result<std::string> sig = signer().Sign(texts[i]);
        if (sig.ok()) got[i] = sig.value();
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(got, expected);
}

TEST(Base64Test, RoundTripsEveryPaddingLength) {
  const std::string bytes = std::string("\x00\xff\x10", 3) + "abc";
  for (std::size_t n = 0; n <= 5; ++n) {
    std::string in = bytes.substr(0, n);
    std::string enc = Base64Encode(in);
    EXPECT_EQ(enc.size(), 4 * ((n + 2) / 3)) << n;
    Result<std::string> dec = Base64Decode(enc);
    ASSERT_TRUE(dec.ok()) << n;
    EXPECT_EQ(dec.value(), in) << n;
  }
}

TEST(Base64Test, KnownVectorsAndInvalidText) {
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  Result<std::string> dec = Base64Decode("Zm8=\n");
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(dec.value(), "fo");
  EXPECT_FALSE(Base64Decode("Zm8").ok());
  EXPECT_FALSE(Base64Decode("Zm*=").ok());
}

TEST(ContentHashTest, IsBase64Sha256) {
  // SHA-256 of the empty string.
  EXPECT_EQ(ContentHash(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

}  // namespace
}  // namespace diphub::dip
