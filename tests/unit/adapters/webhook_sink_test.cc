#include "adapters/http/webhook_sink.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

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

  // Writes `raw` (one or more requests) on one connection in one write and reads `answers`
  // answers; their statuses, or fewer when the connection ended early.
  std::vector<int> RawExchange(const std::string& raw, std::size_t answers) {
    namespace bhttp = boost::beast::http;
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), sink_->port()});
    boost::asio::write(socket, boost::asio::buffer(raw));
    boost::beast::flat_buffer buffer;
    std::vector<int> statuses;
    for (std::size_t i = 0; i < answers; ++i) {
      bhttp::response<bhttp::string_body> res;
      boost::beast::error_code ec;
      bhttp::read(socket, buffer, res, ec);
      if (ec) break;
      statuses.push_back(res.result_int());
    }
    return statuses;
  }

  // A request's bytes with the sink's signature headers, Content-Length or `chunked_body`.
  std::string RawPost(const std::string& body, const std::string& chunked_body = "") {
    std::string raw = "POST /dip HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& [name, value] : Signed(sink_->Url(), body)) {
      raw += name + ": " + value + "\r\n";
    }
    if (chunked_body.empty()) {
      raw += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    } else {
      raw += "Transfer-Encoding: chunked\r\n\r\n" + chunked_body;
    }
    return raw;
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

// A body many times the server's read size (64 KiB) arrives whole, byte for byte, and verifies.
TEST_F(WebhookSinkTest, LargeBodyArrivesWholeAndVerifies) {
  std::string body = "[";
  for (int i = 0; body.size() < 700 * 1024; ++i) {
    if (i) body += ',';
    body += R"({"payload":{"n":)" + std::to_string(i) + "}}";
  }
  body += ']';
  testing::HttpResult r = Post("/dip", body, Signed(sink_->Url(), body));
  ASSERT_EQ(r.status, 201) << r.error;
  SinkDelivery d = Last();
  EXPECT_EQ(d.body, body);
  EXPECT_TRUE(d.signature.ok()) << d.signature.ToString();
}

// A chunked body (no Content-Length) is read to its last chunk, and its signature verifies.
TEST_F(WebhookSinkTest, ChunkedBodyIsReadWhole) {
  const std::string body = std::string(kBody) + std::string(100 * 1024, ' ');
  char size[32];
  std::snprintf(size, sizeof size, "%zx", body.size() - 10);
  const std::string chunks = std::string(size) + "\r\n" + body.substr(0, body.size() - 10) +
                             "\r\na\r\n" + body.substr(body.size() - 10) + "\r\n0\r\n\r\n";
  EXPECT_EQ(RawExchange(RawPost(body, chunks), 1), std::vector<int>{201});
  SinkDelivery d = Last();
  EXPECT_EQ(d.body, body);
  EXPECT_TRUE(d.signature.ok()) << d.signature.ToString();
}

// Two requests written together on one connection are both taken and answered, in order.
TEST_F(WebhookSinkTest, PipelinedRequestsAreBothAnswered) {
  const std::string second = std::string(kBody) + std::string(80 * 1024, ' ');
  EXPECT_EQ(RawExchange(RawPost(kBody) + RawPost(second), 2), (std::vector<int>{201, 201}));
  EXPECT_EQ(Count(), 2);
  SinkDelivery d = Last();
  EXPECT_EQ(d.body, second);
  EXPECT_TRUE(d.signature.ok()) << d.signature.ToString();
}

// The sink keeps certificates it has parsed: a POST that presents an already-seen certificate
// with a signature made by another key still fails, and so does one whose certificate differs
// from a seen one in one byte.
TEST_F(WebhookSinkTest, SeenCertificateDoesNotPassAnotherKeysSignature) {
  ASSERT_EQ(Post("/dip", kBody, Signed(sink_->Url(), kBody)).status, 201);
  ASSERT_TRUE(Last().signature.ok());

  auto other_kc = dip::GenerateSelfSigned("sink-test-other");
  ASSERT_TRUE(other_kc.ok());
  auto other = dip::Signer::FromPem(other_kc.value().key_pem, other_kc.value().cert_pem);
  ASSERT_TRUE(other.ok());
  dip::SignatureHeaders h = other.value()->SignRequest("POST", sink_->Url(), kBody, kDate);
  std::map<std::string, std::string> forged = Signed(sink_->Url(), kBody);
  forged["X-DIP-Signature"] = h.signature;  // the seen certificate, another key's signature
  ASSERT_EQ(Post("/dip", kBody, forged).status, 201);
  EXPECT_EQ(Last().signature.code(), "RCP9999");

  std::map<std::string, std::string> altered = Signed(sink_->Url(), kBody);
  std::string& cert = altered["X-DIP-Signature-Certificate"];
  cert[cert.size() / 2] = cert[cert.size() / 2] == 'A' ? 'B' : 'A';
  ASSERT_EQ(Post("/dip", kBody, altered).status, 201);
  EXPECT_EQ(Last().signature.code(), "RCP9999");
}

}  // namespace
}  // namespace diphub::adapters::http
