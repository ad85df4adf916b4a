#include "adapters/http/webhook_sink.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "dip/signature.h"
#include "tests/support/http_client.h"

namespace diphub::adapters::http {
namespace {

constexpr const char* kBody = R"([{"payload":{"CommonBlock":{}}}])";
constexpr const char* kDate = "2025-06-27T14:29:09.061Z";

class WebhookSinkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto kc = dip::GenerateSelfSigned("sink-test");
    ASSERT_TRUE(kc.ok()) << kc.status().ToString();
    auto s = dip::Signer::FromPem(kc.value().key_pem, kc.value().cert_pem);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    signer_ = new std::shared_ptr<const dip::Signer>(s.value());
  }
  static void TearDownTestSuite() { delete signer_; }

  void SetUp() override {
    sink_ = std::make_unique<WebhookSink>("127.0.0.1", 0, [this](const SinkDelivery& d) {
      std::lock_guard l(mu_);
      last_ = d;
      ++count_;
      return status_.load();
    });
    dip::Status s = sink_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NE(sink_->port(), 0);
  }

  std::map<std::string, std::string> Signed(const std::string& url, const std::string& body) {
    dip::SignatureHeaders h = (*signer_)->SignRequest("POST", url, body, kDate);
    return {{"Content-Type", "application/json"},
            {"X-DIP-Signature-Date", h.date},
            {"X-DIP-Content-Hash", h.content_hash},
            {"X-DIP-Signature-Certificate", h.certificate},
            {"X-DIP-Signature", h.signature}};
  }

  testing::HttpResult Post(const std::string& target, const std::string& body,
                           const std::map<std::string, std::string>& headers) {
    return testing::HttpRequest("127.0.0.1", sink_->port(), "POST", target, body, headers);
  }

  SinkDelivery Last() {
    std::lock_guard l(mu_);
    return last_.value_or(SinkDelivery{});
  }
  int Count() {
    std::lock_guard l(mu_);
    return count_;
  }

  static std::shared_ptr<const dip::Signer>* signer_;
  std::atomic<int> status_{201};
  std::mutex mu_;
  std::optional<SinkDelivery> last_;
  int count_ = 0;
  std::unique_ptr<WebhookSink> sink_;
};
std::shared_ptr<const dip::Signer>* WebhookSinkTest::signer_ = nullptr;

TEST_F(WebhookSinkTest, UrlNamesItsOwnAddress) {
  EXPECT_EQ(sink_->Url(), "http://127.0.0.1:" + std::to_string(sink_->port()) + "/dip");
}

TEST_F(WebhookSinkTest, UnsignedPostIsDeliveredWithFailedSignature) {
  testing::HttpResult r = Post("/dip", kBody, {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 201) << r.error;
  ASSERT_EQ(Count(), 1);
  SinkDelivery d = Last();
  EXPECT_EQ(d.target, "/dip");
  EXPECT_EQ(d.body, kBody);
  EXPECT_FALSE(d.signature.ok());
  EXPECT_EQ(d.signature.code(), "RCP9999");
}

TEST_F(WebhookSinkTest, PostSignedForItsUrlVerifies) {
  testing::HttpResult r = Post("/dip", kBody, Signed(sink_->Url(), kBody));
  ASSERT_EQ(r.status, 201) << r.error;
  SinkDelivery d = Last();
  EXPECT_TRUE(d.signature.ok()) << d.signature.ToString();
  EXPECT_EQ(d.body, kBody);
}

TEST_F(WebhookSinkTest, SignatureForAnotherUrlOrBodyFails) {
  std::string other_url = "http://127.0.0.1:" + std::to_string(sink_->port()) + "/other";
  ASSERT_EQ(Post("/dip", kBody, Signed(other_url, kBody)).status, 201);
  EXPECT_EQ(Last().signature.code(), "RCP9999");

  ASSERT_EQ(Post("/dip", std::string(kBody) + " ", Signed(sink_->Url(), kBody)).status, 201);
  EXPECT_EQ(Last().signature.code(), "RCP9999");
  EXPECT_NE(Last().signature.help().find("Content-Hash"), std::string::npos);
}

TEST_F(WebhookSinkTest, AnswersTheStatusTheCallbackReturns) {
  status_ = 503;
  testing::HttpResult r = Post("/dip", kBody, Signed(sink_->Url(), kBody));
  EXPECT_EQ(r.status, 503) << r.error;
  status_ = 400;
  EXPECT_EQ(Post("/dip", kBody, {}).status, 400);
  status_ = 201;
  EXPECT_EQ(Post("/dip", kBody, {}).status, 201);
  EXPECT_EQ(Count(), 3);
}

}  // namespace
}  // namespace diphub::adapters::http
