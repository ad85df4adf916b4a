// The delivery retry policy of docs/api.md, against a real local webhook: which answers are
// retried (408, 429, 500, 502, 503, 504, connection refused, no answer within
// http.webhook_timeout_ms) and which end the delivery as RejectedByRecipient.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

const std::string kDelivered =
    "diphub_deliveries_total{recipient=\"1200000001\",status=\"Delivered\"} 1";
const std::string kRejected =
    "diphub_deliveries_total{recipient=\"1200000001\",status=\"RejectedByRecipient\"} 1";

std::string TransactionOf(const std::string& body) {
  simdjson::dom::parser p;
  std::string_view tx;
  if (p.parse(body).at_pointer("/0/payload/CommonBlock/D0/transactionID").get_string().get(tx)) {
    return "<no transactionID in " + body.substr(0, 200) + ">";
  }
  return std::string(tx);
}

std::string Metrics(const HubProcess& hub) {
  return HttpRequest("127.0.0.1", hub.metrics_port(), "GET", "/metrics").body;
}

std::string CodeName(const ::testing::TestParamInfo<int>& param) {
  return "Http" + std::to_string(param.param);
}

class RetryPolicyRetried : public ::testing::TestWithParam<int> {};

TEST_P(RetryPolicyRetried, RetriesThenDeliversOn2xx) {
  const int code = GetParam();
  TempDir dir;
  RecordingSink sink;
  sink.set_status(code);
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  HttpResult sent =
      hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-r" + std::to_string(code)));
  ASSERT_EQ(sent.status, 201) << sent.body << sent.error;

  // Backoff 50, 100, 200 ms (jittered 50-100%): three attempts well within a few seconds.
  auto tries = sink.WaitFor(3, 5s);
  ASSERT_GE(tries.size(), 3u) << "HTTP " << code << " must be retried; log:\n" << hub.Log();
  const std::string tx = TransactionOf(tries[0].body);
  for (const auto& t : tries) EXPECT_EQ(TransactionOf(t.body), tx) << "the same batch is retried";

  sink.set_status(201);
  ASSERT_TRUE(hub.WaitForMetric(kDelivered, 5s))
      << "HTTP " << code << " then 201 must end Delivered; metrics:\n"
      << Metrics(hub) << "\nlog:\n"
      << hub.Log();
  // The 201 ended the retries.
  const std::size_t settled = sink.count();
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(sink.count(), settled) << "a 201 must end the retries";
  EXPECT_EQ(Metrics(hub).find("status=\"RejectedByRecipient\"} 1"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(RetryPolicy, RetryPolicyRetried,
                         ::testing::Values(408, 429, 500, 502, 503, 504), CodeName);

class RetryPolicyNotRetried : public ::testing::TestWithParam<int> {};

TEST_P(RetryPolicyNotRetried, RejectedByRecipientWithoutRetry) {
  const int code = GetParam();
  TempDir dir;
  RecordingSink sink;
  sink.set_status(code);
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  HttpResult sent =
      hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-n" + std::to_string(code)));
  ASSERT_EQ(sent.status, 201) << sent.body << sent.error;

  ASSERT_EQ(sink.WaitFor(1, 5s).size(), 1u) << hub.Log();
  ASSERT_TRUE(hub.WaitForMetric(kRejected, 5s))
      << "HTTP " << code << " must end RejectedByRecipient; metrics:\n"
      << Metrics(hub) << "\nlog:\n"
      << hub.Log();
  std::this_thread::sleep_for(1s);  // many backoff periods of 50-200 ms
  EXPECT_EQ(sink.count(), 1u) << "HTTP " << code << " from the recipient is not retried";
  const std::string metrics = Metrics(hub);
  EXPECT_NE(metrics.find(kRejected), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("status=\"Delivered\"} 1"), std::string::npos) << metrics;
}

INSTANTIATE_TEST_SUITE_P(RetryPolicy, RetryPolicyNotRetried,
                         ::testing::Values(400, 401, 403, 404, 405, 406, 413, 505), CodeName);

// A port with nothing listening on it (bound once by the kernel, then released).
std::uint16_t FreePort() {
  RecordingSink probe;
  return probe.port();
}

TEST(RetryPolicy, ConnectionRefusedIsRetriedUntilTheWebhookComesUp) {
  const std::uint16_t port = FreePort();
  TempDir dir;
  HubProcess hub(dir, "http://127.0.0.1:" + std::to_string(port) + "/dip");
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  ASSERT_EQ(hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-refused")).status, 201);
  // Several refused attempts are counted as Retrying.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  std::size_t retrying = 0;
  while (retrying < 3 && std::chrono::steady_clock::now() < deadline) {
    const std::string m = Metrics(hub);
    const std::string key =
        "diphub_deliveries_total{recipient=\"1200000001\",status=\"Retrying\"} ";
    if (auto at = m.find(key); at != std::string::npos) {
      retrying = static_cast<std::size_t>(std::stod(m.substr(at + key.size())));
    }
    if (retrying < 3) std::this_thread::sleep_for(50ms);
  }
  ASSERT_GE(retrying, 3u) << "connection refused must be retried; log:\n" << hub.Log();

  RecordingSink sink(port);
  auto got = sink.WaitFor(1, 5s);
  ASSERT_EQ(got.size(), 1u) << hub.Log();
  EXPECT_NE(got[0].body.find("S-IF-061-1100000001-SDS-20261122-refused"), std::string::npos);
  EXPECT_TRUE(hub.WaitForMetric(kDelivered, 5s)) << Metrics(hub);
}

// Accepts connections and reads what it is sent, but never answers.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(fd_, 64) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("silent listener: cannot listen");
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~SilentListener() {
    stop_ = true;
    thread_.join();
    for (const pollfd& p : fds_) ::close(p.fd);
  }
  std::uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }

 private:
  void Loop() {
    fds_.push_back({fd_, POLLIN, 0});
    char buf[4096];
    while (!stop_) {
      if (::poll(fds_.data(), fds_.size(), 20) <= 0) continue;
      std::vector<pollfd> added;
      for (pollfd& p : fds_) {
        if ((p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        if (p.fd == fd_) {
          int c = ::accept(fd_, nullptr, nullptr);
          if (c >= 0) {
            ++connections_;
            added.push_back({c, POLLIN, 0});
          }
          continue;
        }
        ssize_t n = ::read(p.fd, buf, sizeof buf);
        if (n > 0) {
          if (std::string_view(buf, static_cast<std::size_t>(n)).starts_with("POST ")) ++requests_;
        } else {
          p.events = 0;  // closed by the hub: keep it, stop watching it
        }
      }
      fds_.insert(fds_.end(), added.begin(), added.end());
    }
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::vector<pollfd> fds_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0}, requests_{0};
  std::thread thread_;
};

TEST(RetryPolicy, WebhookThatNeverAnswersTimesOutAndIsRetried) {
  SilentListener listener;
  TempDir dir;
  HubProcess hub(dir, "http://127.0.0.1:" + std::to_string(listener.port()) + "/dip",
                 "http:\n  webhook_timeout_ms: 300\n");
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  ASSERT_EQ(hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-hang")).status, 201);
  // Each attempt waits 300 ms, then backs off 25-200 ms: 3 attempts in about 1.5 s.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (listener.requests() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_GE(listener.connections(), 3) << hub.Log();
  EXPECT_GE(listener.requests(), 3) << hub.Log();
  EXPECT_TRUE(hub.WaitForMetric(
      "diphub_deliveries_total{recipient=\"1200000001\",status=\"Retrying\"}", 2s))
      << Metrics(hub);
  EXPECT_EQ(Metrics(hub).find("status=\"Delivered\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace diphub::testing
