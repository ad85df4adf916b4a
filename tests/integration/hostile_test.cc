// Hostile input on the wire (hardening issue): slow-loris connections, connection floods, header
// floods, arrays of thousands of messages and invalid UTF-8 — each answered with a clear status
// or cut off, with file descriptors bounded, and the hub still serving afterwards.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
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

}  // namespace
}  // namespace diphub::testing
