// The 3-node nats-server cluster fixture, and the property the JetStream store builds on: an R3
// stream keeps accepting publishes while one node is killed -9 and restarted, and every publish
// that got a PubAck is still in the stream afterwards, read back with another node down.
#include "tests/support/nats_cluster.h"

#include <gtest/gtest.h>
#include <nats/nats.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <set>
#include <thread>

#include "tests/cluster/nats_test_client.h"

namespace diphub::testing {
namespace {

TEST(NatsClusterTest, StartsThreeNodesWithOneMetaLeaderAndStopsThemAll) {
  std::vector<pid_t> pids;
  {
    NatsCluster cluster;
    std::string error;
    ASSERT_TRUE(cluster.Start(&error)) << error;
    const std::string leader = cluster.MetaLeader(0);
    EXPECT_NE(cluster.NodeNamed(leader), -1) << leader;
    for (int i = 1; i < cluster.size(); ++i) EXPECT_EQ(cluster.MetaLeader(i), leader);
    for (int i = 0; i < cluster.size(); ++i) EXPECT_TRUE(cluster.running(i));
    for (int i = 0; i < cluster.size(); ++i) pids.push_back(cluster.pid(i));
  }
  for (pid_t pid : pids) EXPECT_NE(::kill(pid, 0), 0) << "nats-server " << pid << " survived";
}

TEST(NatsClusterTest, R3StreamLosesNoAcknowledgedPublishWhileANodeIsKilledAndRestarted) {
  NatsCluster cluster;
  std::string error;
  ASSERT_TRUE(cluster.Start(&error)) << error;
  NatsTestClient client(cluster.UrlList());
  ASSERT_TRUE(client.ok()) << client.error();
  ASSERT_TRUE(client.AddStream("LOG", "log.>", 3)) << client.error();

  // Kill the stream's leader: the node every publish goes through.
  const std::string leader_name = client.StreamLeader("LOG");
  const int victim = cluster.NodeNamed(leader_name);
  ASSERT_NE(victim, -1) << "stream leader \"" << leader_name << "\"";

  std::atomic<bool> stop{false};
  std::atomic<int> phase{0};  // 0 before the kill, 1 while down, 2 after the restart
  std::set<std::string> acked;
  std::atomic<std::size_t> acked_by_phase[3] = {0, 0, 0};
  std::size_t failed = 0;
  std::thread publisher([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string payload = "message-" + std::to_string(i);
      if (client.Publish("log.a", payload)) {
        acked.insert(payload);
        ++acked_by_phase[phase.load()];
      } else {
        ++failed;  // not acknowledged: the sender would retry; nothing is promised about it
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  });
  auto wait_for_acks = [&](int in_phase, std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (acked_by_phase[in_phase] >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  };
  const bool before = wait_for_acks(0, 200);
  cluster.Kill(victim);
  const auto killed_at = std::chrono::steady_clock::now();
  phase = 1;
  const bool during_first = wait_for_acks(1, 1);
  const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed_at);
  const bool during =
      during_first && wait_for_acks(1, 200);  // a new stream leader among the two survivors
  const bool restarted = cluster.Restart(victim, &error);
  phase = 2;
  const bool after = wait_for_acks(2, 200);
  stop = true;
  publisher.join();
  std::printf(
      "stream leader %s killed: first PubAck after %lld ms; acked %zu/%zu/%zu, %zu failed\n",
      leader_name.c_str(), static_cast<long long>(gap.count()), acked_by_phase[0].load(),
      acked_by_phase[1].load(), acked_by_phase[2].load(), failed);
  ASSERT_TRUE(before && during && after && restarted)
      << "acked before/during/after: " << acked_by_phase[0] << "/" << acked_by_phase[1] << "/"
      << acked_by_phase[2] << ", failed " << failed << "\n"
      << error << cluster.Logs();

  // Read back with another node down: the restarted node must have caught up for a quorum.
  cluster.Kill((victim + 1) % cluster.size());
  std::set<std::string> stored;
  std::vector<std::uint64_t> not_found;
  ASSERT_TRUE(client.ReadAll("LOG", &stored, &not_found)) << client.error();
  std::vector<std::string> missing;
  for (const std::string& p : acked) {
    if (stored.count(p) == 0) missing.push_back(p);
  }
  std::string seqs;
  for (std::uint64_t seq : not_found) seqs += " " + std::to_string(seq);
  std::string names;
  for (std::size_t i = 0; i < missing.size() && i < 10; ++i) names += " " + missing[i];
  EXPECT_EQ(missing.size(), 0u) << "of " << acked.size() << " acknowledged; " << stored.size()
                                << " stored, " << failed << " publishes failed; missing:" << names
                                << "; sequences the stream answered not found:" << seqs;
  EXPECT_TRUE(not_found.empty()) << "sequences the stream answered not found:" << seqs;
}

}  // namespace
}  // namespace diphub::testing
