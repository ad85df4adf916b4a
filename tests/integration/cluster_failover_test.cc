// Issue #17 end to end: two diphub nodes (leader and standby, cluster.enabled) whose store is an
// R3 stream on a real 3-node nats-server cluster (tests/support/nats_cluster.h), under a steady
// stream of sends. A nats node is killed -9 and restarted, then the leading diphub is killed -9;
// the standby takes over. Every send the hubs acknowledged (201, or MSG1006 for a retry of one
// that was stored) reaches the recipient, and the first delivery of each comes in send order
// (all sends are for one MPAN and one recipient).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/hub_fixture.h"
#include "tests/support/nats_cluster.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;
using namespace demo;
using Clock = std::chrono::steady_clock;

std::unique_ptr<HubProcess> Node(const TempDir& dir, const std::string& webhook,
                                 const NatsCluster& nats, const std::string& name) {
  auto hub = std::make_unique<HubProcess>(
      dir, webhook, "cluster:\n  enabled: true\n  node: " + name + "\n  lease_ttl_ms: 3000\n");
  std::string servers;
  for (const std::string& url : nats.Urls()) servers += (servers.empty() ? "" : ", ") + url;
  // A generous ack timeout: a stream leader election after a nats node dies takes 4-8 s on
  // nats-server 2.9.10 (tests/cluster), and sends wait through it rather than fail.
  EXPECT_TRUE(hub->EditConfig("  durability: fsync\n",
                              "  durability: fsync\n  engine: jetstream\n  jetstream:\n"
                              "    servers: [" +
                                  servers + "]\n    replicas: 3\n    ack_timeout_ms: 15000\n"));
  return hub;
}

TEST(ClusterFailover, NatsNodeAndLeaderKilledUnderLoadLoseNothingAcknowledgedAndKeepOrder) {
  NatsCluster nats;
  std::string error;
  ASSERT_TRUE(nats.Start(&error)) << error;
  TempDir dir_a, dir_b;
  RecordingSink sink;
  std::unique_ptr<HubProcess> a = Node(dir_a, sink.Url(), nats, "node-a");
  std::unique_ptr<HubProcess> b = Node(dir_b, sink.Url(), nats, "node-b");
  ASSERT_TRUE(a->Start(&error)) << error;

  std::atomic<bool> b_ready{false};
  std::string b_error;

  // One sender, one send at a time; a send not answered 201 is retried (on the other node
  // once the standby is ready) until it is 201, or MSG1006 (stored by an earlier try).
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::size_t retries = 0;
  std::thread sender([&] {
    for (int i = 0; !stop; ++i) {
      const std::string ref = Ref("fo" + std::to_string(i));
      const std::string body = MdrStart(ref);
      for (;;) {
        HubProcess& to = b_ready ? *b : *a;
        HttpResult r = to.Send("IF-061", body);
        if (r.status == 201 || (r.status == 400 && r.body.find("MSG1006") != std::string::npos)) {
          std::lock_guard lock(mu);
          acknowledged.push_back(ref);
          break;
        }
        if (stop) return;  // the last send is unanswered: nothing was promised about it
        ++retries;
        std::this_thread::sleep_for(100ms);
      }
    }
  });
  auto wait_for = [&](std::size_t n, std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      {
        std::lock_guard lock(mu);
        if (acknowledged.size() >= n) return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  };
  auto count = [&] {
    std::lock_guard lock(mu);
    return acknowledged.size();
  };

  EXPECT_TRUE(wait_for(50, 30s)) << a->Log();
  nats.Kill(0);  // a nats node, possibly the stream's leader
  EXPECT_TRUE(wait_for(count() + 50, 60s)) << "sends stopped after a nats node died\n" << a->Log();
  ASSERT_TRUE(nats.Restart(0, &error)) << error;
  EXPECT_TRUE(wait_for(count() + 50, 60s)) << a->Log();
  // The standby: its Start returns once it holds the lease and its hub is ready (it replays
  // the leader's entries first, which takes seconds on a loaded machine).
  std::thread standby([&] { b_ready = b->Start(&b_error, std::chrono::seconds(75)); });
  // The recipient answers 503 for a while: the leader dies with a backlog of acknowledged,
  // undelivered sends, which only the replicated log can give the standby.
  sink.set_status(503);
  std::this_thread::sleep_for(2s);  // the standby waits for the lease a holds
  EXPECT_FALSE(b_ready) << "the standby must not lead while the leader lives";
  const std::size_t before_kill = count();
  a->Kill();  // the leading diphub; the standby takes over
  const auto killed_at = Clock::now();
  while (!b_ready && Clock::now() - killed_at < 75s) std::this_thread::sleep_for(50ms);
  sink.set_status(201);
  EXPECT_TRUE(wait_for(before_kill + 50, 90s)) << "no sends after the leader died\n"
                                               << b_error << "\n"
                                               << b->Log();
  stop = true;
  sender.join();
  standby.join();
  ASSERT_TRUE(b_ready) << b_error;

  std::vector<std::string> sent;
  {
    std::lock_guard lock(mu);
    sent = acknowledged;
  }
  // Every acknowledged send delivered (at least once: a batch in flight when its node died is
  // delivered again by the next), the first delivery of each in send order.
  std::vector<std::string> firsts;
  std::set<std::string> seen;
  const auto deadline = Clock::now() + 60s;
  do {
    firsts.clear();
    seen.clear();
    for (const std::string& ref : RefsIn(sink.WaitFor(0, 0ms))) {
      if (seen.insert(ref).second) firsts.push_back(ref);
    }
    if (firsts.size() >= sent.size()) break;
    std::this_thread::sleep_for(200ms);
  } while (Clock::now() < deadline);
  std::size_t missing = 0;
  for (const std::string& ref : sent) missing += seen.count(ref) == 0 ? 1 : 0;
  EXPECT_EQ(missing, 0u) << "of " << sent.size() << " acknowledged\n" << b->Log();
  firsts.resize(std::min(firsts.size(), sent.size()));
  EXPECT_EQ(firsts, std::vector<std::string>(sent.begin(), sent.begin() + firsts.size()))
      << "first deliveries out of send order";
  std::printf("%zu sends acknowledged (%zu before the leader was killed), %zu retries\n",
              sent.size(), before_kill, retries);
  EXPECT_GT(retries, 0u) << "the leader's death went unnoticed by the sender";
}

}  // namespace
}  // namespace diphub::testing
