// The leader lease (broker/leader_lease.h) against a real 3-node nats-server cluster: one of two
// nodes wins; a winner that stops renewing is replaced within about a TTL; a nats node killed
// -9 (each of the three in turn, so also the lease bucket's stream leader) does not cost the
// leader its lease; a clean release hands over at once.
#include "broker/leader_lease.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "tests/cluster/nats_test_client.h"
#include "tests/support/nats_cluster.h"

namespace diphub::broker {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class LeaderLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(cluster_.Start(&error)) << error;
  }
  LeaseOptions Options(const std::string& node, milliseconds ttl = milliseconds(2000)) {
    LeaseOptions o;
    o.servers = cluster_.Urls();
    o.node = node;
    o.ttl = ttl;
    return o;
  }
  // Acquire on another thread; the future is ready once it returns.
  static std::future<dip::Status> AcquireAsync(LeaderLease* lease) {
    return std::async(std::launch::async, [lease] { return lease->Acquire(); });
  }
  testing::NatsCluster cluster_;
};

TEST_F(LeaderLeaseTest, OneOfTwoWinsAndTheOtherWaitsNamingTheHolder) {
  std::atomic<int> lost{0};
  LeaderLease a(Options("node-a"), [&](const std::string&) { ++lost; });
  ASSERT_TRUE(a.Acquire().ok());
  LeaderLease b(Options("node-b"), [&](const std::string&) { ++lost; });
  auto b_acquired = AcquireAsync(&b);
  // Several TTLs: a renews every TTL/3, so b never gets it.
  EXPECT_EQ(b_acquired.wait_for(std::chrono::seconds(7)), std::future_status::timeout);
  EXPECT_TRUE(a.held());
  EXPECT_FALSE(b.held());
  EXPECT_EQ(a.Holder(), "node-a");
  EXPECT_EQ(b.holder_seen(), "node-a");
  EXPECT_EQ(lost.load(), 0);
  b.RequestStop();
  EXPECT_FALSE(b_acquired.get().ok());  // stopped while waiting
  EXPECT_FALSE(b.held());
  a.Release();
}

TEST_F(LeaderLeaseTest, AWinnerThatStopsRenewingIsReplacedWithinAboutTheTtl) {
  const milliseconds ttl(2000);
  std::atomic<int> a_lost{0};
  LeaderLease a(Options("node-a", ttl), [&](const std::string&) { ++a_lost; });
  ASSERT_TRUE(a.Acquire().ok());
  LeaderLease b(Options("node-b", ttl), nullptr);
  auto b_acquired = AcquireAsync(&b);
  std::this_thread::sleep_for(milliseconds(1000));
  const auto hung_at = Clock::now();
  a.Abandon();  // a hangs: no renewal, no release
  ASSERT_EQ(b_acquired.wait_for(std::chrono::seconds(15)), std::future_status::ready);
  ASSERT_TRUE(b_acquired.get().ok());
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - hung_at);
  EXPECT_TRUE(b.held());
  EXPECT_EQ(b.Holder(), "node-b");
  // b takes over once it has seen a's revision unchanged for a TTL; it polls every TTL/6.
  EXPECT_LT(took.count(), ttl.count() * 3) << took.count() << " ms";
  std::printf("standby took the lease %lld ms after the leader stopped renewing (TTL %lld ms)\n",
              static_cast<long long>(took.count()), static_cast<long long>(ttl.count()));
  b.Release();
}

TEST_F(LeaderLeaseTest, TheLeaderKeepsItsLeaseWhenANatsNodeIsKilled) {
  // Round 0 kills the lease bucket's stream leader (renewals wait for an election), round 1
  // another node.
  testing::NatsTestClient client(cluster_.UrlList());
  ASSERT_TRUE(client.ok()) << client.error();
  for (int round = 0; round < 2; ++round) {
    std::atomic<int> lost{0};
    LeaderLease a(Options("node-a", milliseconds(3000)), [&](const std::string&) { ++lost; });
    ASSERT_TRUE(a.Acquire().ok());
    LeaderLease b(Options("node-b", milliseconds(3000)), nullptr);
    auto b_acquired = AcquireAsync(&b);
    const int stream_leader = cluster_.NodeNamed(client.StreamLeader("KV_diphub_leader"));
    ASSERT_NE(stream_leader, -1);
    const int victim = round == 0 ? stream_leader : (stream_leader + 1) % cluster_.size();
    cluster_.Kill(victim);
    std::this_thread::sleep_for(std::chrono::seconds(12));
    EXPECT_TRUE(a.held()) << "killed " << cluster_.server_name(victim) << ": " << a.lost_reason();
    EXPECT_EQ(lost.load(), 0);
    EXPECT_EQ(b_acquired.wait_for(milliseconds(0)), std::future_status::timeout);
    b.RequestStop();
    b_acquired.wait();
    a.Release();
    std::string error;
    ASSERT_TRUE(cluster_.Restart(victim, &error)) << error;
  }
}

TEST_F(LeaderLeaseTest, ReleaseOnACleanStopHandsOverAtOnce) {
  const milliseconds ttl(10000);  // long: a handover faster than this is the release's doing
  LeaderLease a(Options("node-a", ttl), nullptr);
  ASSERT_TRUE(a.Acquire().ok());
  LeaderLease b(Options("node-b", ttl), nullptr);
  auto b_acquired = AcquireAsync(&b);
  std::this_thread::sleep_for(milliseconds(500));
  const auto released_at = Clock::now();
  a.Release();
  ASSERT_EQ(b_acquired.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  ASSERT_TRUE(b_acquired.get().ok());
  EXPECT_LT(Clock::now() - released_at, std::chrono::seconds(5));
  EXPECT_EQ(b.Holder(), "node-b");
  // a's release was conditional on its revision: releasing again (b holds it) deletes nothing.
  a.Release();
  EXPECT_EQ(b.Holder(), "node-b");
  b.Release();
}

TEST_F(LeaderLeaseTest, ALeaderWhoseKeyWasOverwrittenLosesTheLeaseAtItsNextRenewal) {
  // Another writer (here a plain JetStream publish on the key's subject, as a split brain or an
  // operator would) moves the key on: a's next conditional renewal is refused and on_lost fires
  // at once, well before unreachable_after.
  std::atomic<int> lost{0};
  std::string reason;
  LeaseOptions ao = Options("node-a", milliseconds(3000));
  ao.unreachable_after = milliseconds(60000);
  LeaderLease a(ao, [&](const std::string& r) {
    reason = r;
    ++lost;
  });
  ASSERT_TRUE(a.Acquire().ok());
  testing::NatsTestClient intruder(cluster_.UrlList());
  ASSERT_TRUE(intruder.Publish("$KV.diphub_leader.leader", "node-x")) << intruder.error();
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (lost.load() == 0 && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(lost.load(), 1);
  EXPECT_FALSE(a.held());
  EXPECT_NE(reason.find("node-x"), std::string::npos) << reason;
}

}  // namespace
}  // namespace diphub::broker
