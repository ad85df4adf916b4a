// A real Prometheus (Debian's `prometheus` package) scrapes a running hub on loopback; after
// traffic, its query API must show the counters and a latency histogram moving. Bounded in time.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPrometheus = "/usr/bin/prometheus";

// Installs Debian's prometheus package when it is missing (as root; the test fails otherwise).
bool EnsurePrometheus(std::string* why) {
  if (std::filesystem::exists(kPrometheus)) return true;
  if (geteuid() != 0) {
    *why = "prometheus is not installed and the test is not root; run scripts/setup";
    return false;
  }
  int rc = std::system(
      "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus "
      ">/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install "
      "-y -qq --no-install-recommends prometheus >/dev/null 2>&1)");
  if (rc != 0 || !std::filesystem::exists(kPrometheus)) {
    *why = "apt-get install prometheus failed";
    return false;
  }
  return true;
}

// A port free right now on 127.0.0.1 (Prometheus cannot listen on port 0 and report it).
std::uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// The value of an instant query with one result, or nullopt (no result yet, or an error).
std::optional<double> Query(std::uint16_t port, const std::string& promql) {
  HttpResult r = HttpRequest("127.0.0.1", port, "GET", "/api/v1/query?query=" + UrlEncode(promql));
  if (r.status != 200) return std::nullopt;
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(r.body).get(doc)) return std::nullopt;
  std::string_view value;
  if (doc.at_pointer("/data/result/0/value/1").get_string().get(value)) return std::nullopt;
  return std::stod(std::string(value));
}

// Polls `promql` until it is at least `want`; returns the last value seen.
std::optional<double> WaitAtLeast(std::uint16_t port, const std::string& promql, double want,
                                  std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<double> v;
  while (std::chrono::steady_clock::now() < deadline) {
    v = Query(port, promql);
    if (v && *v >= want) return v;
    std::this_thread::sleep_for(500ms);
  }
  return v;
}

TEST(Prometheus, RealPrometheusSeesCountersAndLatencyHistogramMove) {
  std::string why;
  ASSERT_TRUE(EnsurePrometheus(&why)) << why;

  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  ASSERT_NE(hub.metrics_port(), 0);

  const std::uint16_t port = FreePort();
  WriteFile(dir.File("prometheus.yml"),
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: diphub\n    static_configs:\n"
            "      - targets: ['127.0.0.1:" +
                std::to_string(hub.metrics_port()) + "']\n");
  ChildProcess prometheus(
      kPrometheus,
      {"--config.file=" + dir.File("prometheus.yml"), "--storage.tsdb.path=" + dir.File("tsdb"),
       "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"},
      dir.File("prometheus.log"));
  ASSERT_TRUE(prometheus.Start());
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (HttpRequest("127.0.0.1", port, "GET", "/-/ready").status != 200) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "Prometheus not ready; log:\n"
                                                          << ReadFile(dir.File("prometheus.log"));
    std::this_thread::sleep_for(200ms);
  }
  auto up = WaitAtLeast(port, "up{job=\"diphub\"}", 1, 30s);
  ASSERT_TRUE(up && *up == 1) << "Prometheus cannot scrape the hub";

  // Traffic: three accepted and delivered, one rejected.
  for (int i = 0; i < 3; ++i) {
    HttpResult r =
        hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-p" + std::to_string(i)));
    ASSERT_EQ(r.status, 201) << r.body;
  }
  ASSERT_EQ(hub.Send("IF-999", MdrStart("S-IF-061-1100000001-SDS-20261122-px")).status, 400);
  ASSERT_EQ(sink.WaitFor(1, 15s).empty(), false);

  auto accepted = WaitAtLeast(port,
                              "sum(diphub_messages_accepted_total{interface=\"IF-061\",event=\"["
                              "MDRStart]\",sender_role=\"SDS\"})",
                              3, 60s);
  ASSERT_TRUE(accepted) << "no accepted counter in Prometheus";
  EXPECT_EQ(*accepted, 3);
  auto rejected =
      WaitAtLeast(port, "sum(diphub_messages_rejected_total{code=\"MSG1002\"})", 1, 30s);
  ASSERT_TRUE(rejected);
  EXPECT_EQ(*rejected, 1);
  auto delivered = WaitAtLeast(
      port, "sum(diphub_delivery_latency_seconds_count{publication=\"PUB-061\"})", 3, 30s);
  ASSERT_TRUE(delivered) << "no latency histogram in Prometheus";
  EXPECT_EQ(*delivered, 3);
  // The histogram's buckets are usable by PromQL: every delivery was under an hour.
  auto within = WaitAtLeast(
      port, "sum(diphub_delivery_latency_seconds_bucket{publication=\"PUB-061\",le=\"3600\"})", 3,
      30s);
  ASSERT_TRUE(within);
  EXPECT_EQ(*within, 3);
  auto commits = WaitAtLeast(port, "sum(diphub_group_commit_write_seconds_count)", 1, 30s);
  ASSERT_TRUE(commits);
  EXPECT_GE(*commits, 1);
  auto ready = WaitAtLeast(port, "diphub_ready", 1, 30s);
  ASSERT_TRUE(ready);
  EXPECT_EQ(*ready, 1);
  prometheus.Signal(SIGTERM);
  prometheus.Wait(10s);
}

}  // namespace
}  // namespace diphub::testing
