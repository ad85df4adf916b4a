// Hostile input on the wire (hardening issue): slow-loris connections (silent or trickling),
// connection floods, thousands of idle connections, header floods, deep JSON nesting, arrays of
// thousands of messages and invalid UTF-8 — each answered with a clear status or cut off, with
// file descriptors and memory bounded, and the hub still serving afterwards.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

// A raw TCP connection to 127.0.0.1:port, or -1.
int Connect(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True when the peer closes `fd` (read returns 0 or an error) within `timeout`.
bool ClosedWithin(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) return true;
    }
  }
  return false;
}

std::size_t OpenFds(pid_t pid) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    ++n;
  }
  return n;
}

std::size_t RssBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // kB
  }
  return 0;
}

class Hostile : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(dir_, sink_.Url(),
                                        "http:\n  idle_timeout_ms: 500\n  max_connections: 50\n");
    std::string error;
    ASSERT_TRUE(hub_->Start(&error)) << error;
  }
  bool Healthy() { return hub_->Call("GET", "/healthz").status == 200; }

  TempDir dir_;
  RecordingSink sink_;
  std::unique_ptr<HubProcess> hub_;
};

TEST_F(Hostile, SlowLorisIsCutOffAtTheIdleTimeout) {
  int fd = Connect(hub_->http_port());
  ASSERT_GE(fd, 0);
  const std::string partial = "POST /dip-channel/IF-061 HTTP/1.1\r\nHost: x\r\nContent-Len";
  ASSERT_EQ(::write(fd, partial.data(), partial.size()), static_cast<ssize_t>(partial.size()));
  EXPECT_TRUE(ClosedWithin(fd, 5s)) << "a request trickling in is closed after idle_timeout_ms";
  ::close(fd);
  // An idle keep-alive connection that never sends anything is closed the same way.
  fd = Connect(hub_->http_port());
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(ClosedWithin(fd, 5s));
  ::close(fd);
  EXPECT_TRUE(Healthy());
}

TEST_F(Hostile, ARequestTricklingInIsCutOffAtTheIdleTimeoutThoughItProgresses) {
  // One byte every 100 ms: each read makes progress, but the whole request must arrive within
  // http.idle_timeout_ms (500 ms), so the connection is closed long before the request ends.
  int fd = Connect(hub_->http_port());
  ASSERT_GE(fd, 0);
  const std::string request =
      "POST /dip-channel/IF-061 HTTP/1.1\r\nHost: x\r\nX-API-Key: demo-sds-key\r\n"
      "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n" +
      std::string(100, ' ');
  const auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (std::size_t i = 0; i < request.size() && !closed; ++i) {
    if (::send(fd, &request[i], 1, MSG_NOSIGNAL) != 1) break;  // reset: closed
    closed = ClosedWithin(fd, 100ms);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(closed) << "the trickle was never cut off";
  EXPECT_LT(elapsed, 3s) << "cut off at the idle timeout (500 ms), not when the request ended";
  ::close(fd);
  EXPECT_TRUE(Healthy());
}

TEST_F(Hostile, DeepNestingOnTheWireIsSchemaFailure) {
  // 100,000 nested arrays inside a message: past dip::kMaxJsonDepth (64), refused as MSG1001
  // without recursing that deep.
  std::string body = MdrStart("S-IF-061-1100000001-SDS-20261122-deep");
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  body.replace(body.find("\"I\""), 3, deep);  // energyDirection
  HttpResult r = hub_->Send("IF-061", body);
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 500);
  EXPECT_NE(r.body.find("MSG1001"), std::string::npos) << r.body.substr(0, 500);
  // Unbalanced: only opening brackets, 1 MiB of them.
  r = hub_->Send("IF-061", std::string(1u << 20, '['));
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 500);
  EXPECT_NE(r.body.find("MSG1001"), std::string::npos) << r.body.substr(0, 500);
  EXPECT_TRUE(Healthy());
}

TEST_F(Hostile, ConnectionFloodIsBoundedAndServiceResumes) {
  const std::size_t before = OpenFds(hub_->pid());
  std::vector<int> flood;
  for (int i = 0; i < 300; ++i) {
    int fd = Connect(hub_->http_port());
    if (fd >= 0) flood.push_back(fd);
  }
  std::this_thread::sleep_for(200ms);
  // At most max_connections (50) are kept; the rest are closed as soon as accepted.
  const std::size_t during = OpenFds(hub_->pid());
  EXPECT_LE(during, before + 50 + 5) << "before " << before;
  for (int fd : flood) ::close(fd);
  // Once the flood is gone (closed, or cut at the idle timeout), the hub serves again.
  bool healthy = false;
  for (int i = 0; i < 50 && !healthy; ++i) {
    healthy = Healthy();
    if (!healthy) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(healthy) << hub_->Log();
  EXPECT_LE(OpenFds(hub_->pid()), before + 5);
}

TEST_F(Hostile, HeaderFloodIsRefusedAndTheHubStaysUp) {
  std::map<std::string, std::string> headers;
  for (int i = 0; i < 2000; ++i) headers["X-Flood-" + std::to_string(i)] = std::string(64, 'a');
  HttpResult r = hub_->Call("POST", "/dip-channel/IF-061", "[]", headers);
  // Beast's header limit: the request is refused (431/400) or the connection closed; never 2xx.
  EXPECT_TRUE(r.status == 0 || r.status == 431 || r.status == 400) << r.status << " " << r.body;
  EXPECT_TRUE(Healthy());
}

TEST_F(Hostile, InvalidUtf8IsSchemaFailure) {
  std::string body = MdrStart("S-IF-061-1100000001-SDS-20261122-u8");
  body.replace(body.find("DMDR"), 4, "\xC3\x28\xFF\xFE");  // not UTF-8
  HttpResult r = hub_->Send("IF-061", body);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("MSG1001"), std::string::npos) << r.body;
  EXPECT_TRUE(Healthy());
}

TEST_F(Hostile, ThousandsOfMessagesInOneArrayAreStoredTogether) {
  constexpr int kMessages = 3000;
  std::string body = "[";
  for (int i = 0; i < kMessages; ++i) {
    std::string one = MdrStart("S-IF-061-1100000001-SDS-20261122-big" + std::to_string(i));
    if (i > 0) body += ",";
    body += one.substr(1, one.size() - 2);  // the element without the array's brackets
  }
  body += "]";
  HttpResult r = hub_->Send("IF-061", body);
  ASSERT_EQ(r.status, 201) << r.body.substr(0, 500);
  std::size_t ids = 0;
  for (std::size_t at = 0; (at = r.body.find("\"transactionID\":\"T-", at)) != std::string::npos;
       ++at) {
    ++ids;
  }
  EXPECT_EQ(ids, static_cast<std::size_t>(kMessages));
  EXPECT_TRUE(Healthy());
}

// Thousands of idle connections under the default-sized limit: the hub holds them with bounded
// memory, serves real clients meanwhile, and closes every one at the idle timeout.
TEST(HostileIdle, ThousandsOfIdleConnectionsAreHeldBoundedAndClosedAtTheIdleTimeout) {
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url(), "http:\n  idle_timeout_ms: 3000\n  max_connections: 5000\n");
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  const std::size_t fds_before = OpenFds(hub.pid()), rss_before = RssBytes(hub.pid());

  constexpr int kIdle = 2000;
  std::vector<int> idle;
  for (int i = 0; i < kIdle; ++i) {
    int fd = Connect(hub.http_port());
    if (fd >= 0) idle.push_back(fd);
  }
  ASSERT_EQ(idle.size(), static_cast<std::size_t>(kIdle));
  // Held, not refused: one descriptor each, and little memory each (a session and its buffers).
  bool held = false;
  for (int i = 0; i < 40 && !held; ++i) {
    held = OpenFds(hub.pid()) >= fds_before + kIdle;
    if (!held) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(held) << OpenFds(hub.pid()) << " descriptors, " << fds_before << " before";
  EXPECT_LE(OpenFds(hub.pid()), fds_before + kIdle + 5);
  const std::size_t rss_after = RssBytes(hub.pid());
  const std::size_t rss_growth = rss_after > rss_before ? rss_after - rss_before : 0;
  RecordProperty("rss_growth_kib_per_connection", static_cast<int>((rss_growth / kIdle) >> 10));
  EXPECT_LT(rss_growth, MemoryBound(32u << 20))
      << "2,000 idle connections within 32 MiB (16 KiB each)";
  // Real clients are served meanwhile.
  HttpResult r = hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-idle"));
  EXPECT_EQ(r.status, 201) << r.body;
  // Every idle connection is closed by the hub at the idle timeout (3 s).
  std::this_thread::sleep_for(3s);
  int closed = 0;
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  for (int fd : idle) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    closed += ClosedWithin(fd, std::max(left, 1ms)) ? 1 : 0;
  }
  EXPECT_EQ(closed, kIdle);
  for (int fd : idle) ::close(fd);
  bool released = false;
  for (int i = 0; i < 40 && !released; ++i) {
    released = OpenFds(hub.pid()) <= fds_before + 5;
    if (!released) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(released) << OpenFds(hub.pid()) << " descriptors, " << fds_before << " before";
}

}  // namespace
}  // namespace diphub::testing
