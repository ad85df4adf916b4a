// diphub nodes with cluster.enabled against a real 3-node nats-server cluster: the second node
// waits as a standby answering /readyz 503 (naming the holder); when the leader is killed -9 the
// standby takes over and becomes ready; a clean stop hands over at once; a node whose lease is
// taken from it exits with status 3; a standby's view follows the stream, so that taking over
// replays little, and its metrics say how it follows.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <thread>

#include "tests/cluster/nats_test_client.h"
#include "tests/support/http_client.h"
#include "tests/support/nats_cluster.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace diphub::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class Node {
 public:
  // `cluster_extra`: more keys of the cluster section, each line "  key: value\n".
  Node(const TempDir& dir, const std::string& name, const NatsCluster& cluster,
       const std::string& cluster_extra = "")
      : dir_(dir), name_(name), http_port_(PickFreePort()), metrics_port_(PickFreePort()) {
    std::string servers;
    for (const std::string& u : cluster.Urls()) servers += "\n      - " + u;
    config_ = dir.File(name + ".yaml");
    // The nodes share one R3 stream (storage.engine: jetstream); the lease finds the cluster
    // through the stream's servers.
    WriteFile(config_, std::string(kBase) +
                           "storage:\n  durability: fsync\n  engine: jetstream\n  jetstream:\n"
                           "    servers:" +
                           servers + "\ncluster:\n  enabled: true\n  node: " + name +
                           "\n  lease_ttl_ms: 3000\n" + cluster_extra);
  }
  bool Start() {
    std::remove(ready_file().c_str());
    process_ = std::make_unique<ChildProcess>(
        DIPHUB_BINARY,
        std::vector<std::string>{"--config", config_, "--data-dir", dir_.File(name_ + "-data"),
                                 "--http-listen", "127.0.0.1:" + std::to_string(http_port_),
                                 "--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port_),
                                 "--ready-file", ready_file()},
        dir_.File(name_ + ".log"));
    return process_->Start();
  }
  bool WaitReady(milliseconds timeout) { return !WaitForFile(ready_file(), timeout).empty(); }
  HttpResult Get(const std::string& path, bool metrics = false) const {
    return HttpRequest("127.0.0.1",
                       static_cast<std::uint16_t>(metrics ? metrics_port_ : http_port_), "GET",
                       path, "", {}, seconds(2));
  }
  // Polls GET /readyz until it answers `status`.
  bool WaitReadyz(int status, milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Get("/readyz").status == status) return true;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return false;
  }
  HttpResult AdminPut(const std::string& path, const std::string& body) const {
    return HttpRequest(
        "127.0.0.1", static_cast<std::uint16_t>(http_port_), "PUT", path, body,
        {{"Authorization", "Bearer test-admin-token"}, {"Content-Type", "application/json"}},
        seconds(10));
  }
  HttpResult AdminGet(const std::string& path) const {
    return HttpRequest("127.0.0.1", static_cast<std::uint16_t>(http_port_), "GET", path, "",
                       {{"Authorization", "Bearer test-admin-token"}}, seconds(10));
  }
  ChildProcess& process() { return *process_; }
  std::string Log() const { return ReadFile(dir_.File(name_ + ".log")); }
  std::string ready_file() const { return dir_.File(name_ + ".ready"); }

 private:
  static constexpr const char* kBase = R"yaml(
hub:
  dip_id: "0000000000"
  environment_tag: DEV
auth:
  require_api_key: true
  admin_token: test-admin-token
  signatures: verify-if-present
participants:
  - dip_id: "1100000001"
    role: SDS
    mpid: DSDS
    api_key: demo-sds-key
log:
  level: info
)yaml";
  const TempDir& dir_;
  std::string name_;
  int http_port_, metrics_port_;
  std::string config_;
  std::unique_ptr<ChildProcess> process_;
};

class StandbyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(cluster_.Start(&error)) << error;
  }
  // The first node to start takes the lease and becomes ready.
  static void StartLeader(Node& node) {
    ASSERT_TRUE(node.Start());
    ASSERT_TRUE(node.WaitReady(seconds(30))) << node.Log();
  }
  // A node started while another leads waits as a standby, not ready.
  static void StartStandby(Node& node) {
    ASSERT_TRUE(node.Start());
    ASSERT_TRUE(node.WaitReadyz(503, seconds(15))) << node.Log();
  }

  NatsCluster cluster_;
  TempDir dir_;
};

TEST_F(StandbyTest, TheStandbyIsNotReadyUntilTheLeaderDiesThenTakesOver) {
  Node a(dir_, "node-a", cluster_);
  ASSERT_NO_FATAL_FAILURE(StartLeader(a));
  EXPECT_EQ(a.Get("/readyz").status, 200);

  Node b(dir_, "node-b", cluster_);
  ASSERT_NO_FATAL_FAILURE(StartStandby(b));
  std::this_thread::sleep_for(seconds(4));  // longer than the lease: a keeps renewing
  HttpResult r = b.Get("/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("held by node-a"), std::string::npos) << r.body;
  EXPECT_EQ(b.Get("/healthz").status, 200);  // alive: the supervisor leaves it running
  HttpResult m = b.Get("/metrics", /*metrics=*/true);
  EXPECT_NE(m.body.find("diphub_ready 0"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("\ndiphub_cluster_leader 0"), std::string::npos) << m.body;
  EXPECT_NE(a.Get("/metrics", /*metrics=*/true).body.find("\ndiphub_cluster_leader 1"),
            std::string::npos);
  EXPECT_TRUE(WaitForFile(b.ready_file(), milliseconds(0)).empty());

  const auto killed_at = std::chrono::steady_clock::now();
  a.process().Signal(SIGKILL);
  a.process().Wait(seconds(5));
  ASSERT_TRUE(b.WaitReady(seconds(20))) << b.Log();
  ASSERT_TRUE(b.WaitReadyz(200, seconds(10))) << b.Log();
  EXPECT_NE(b.Get("/metrics", /*metrics=*/true).body.find("\ndiphub_cluster_leader 1"),
            std::string::npos);
  const auto took =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killed_at);
  std::printf("standby diphub ready %lld ms after the leader was killed -9 (lease TTL 3000 ms)\n",
              static_cast<long long>(took.count()));
  EXPECT_NE(b.Log().find("holds the leader lease"), std::string::npos) << b.Log();

  // The old leader comes back as a standby.
  ASSERT_TRUE(a.Start());
  ASSERT_TRUE(a.WaitReadyz(503, seconds(15))) << a.Log();
  // The holder is named from the standby's first poll of the lease on (it answers 503 without
  // a name before; slow to come under ASan).
  std::string body;
  const auto named_by = std::chrono::steady_clock::now() + seconds(5);
  while ((body = a.Get("/readyz").body).find("held by node-b") == std::string::npos &&
         std::chrono::steady_clock::now() < named_by) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_NE(body.find("held by node-b"), std::string::npos) << body;

  // A clean stop of the leader releases the lease: the standby is ready well within a TTL of
  // observation plus its start.
  b.process().Signal(SIGTERM);
  EXPECT_EQ(b.process().Wait(seconds(20)), std::optional<int>(0)) << b.Log();
  ASSERT_TRUE(a.WaitReady(seconds(20))) << a.Log();
  EXPECT_NE(a.Log().find("released by its holder"), std::string::npos) << a.Log();
  a.process().Signal(SIGTERM);
  EXPECT_EQ(a.process().Wait(seconds(20)), std::optional<int>(0)) << a.Log();
}

// The entries the node replayed at its last open ("jetstream: replayed N entries"), or -1.
long long ReplayedAtOpen(const std::string& log) {
  const std::string key = "jetstream: replayed ";
  const std::size_t at = log.rfind(key);
  if (at == std::string::npos) return -1;
  return std::atoll(log.c_str() + at + key.size());
}

// The value of an unlabelled sample `name` in a Prometheus text page, or -1 when it is absent.
double Sample(const std::string& page, const std::string& name) {
  const std::string key = "\n" + name + " ";
  const std::size_t at = page.find(key);
  if (at == std::string::npos) return -1;
  return std::strtod(page.c_str() + at + key.size(), nullptr);
}

// promtool's lint of a Prometheus text page ("" when it passes).
std::string LintMetrics(const TempDir& dir, const std::string& page) {
  const std::string promtool = DIPHUB_PROMTOOL;
  if (promtool.empty() || promtool.ends_with("-NOTFOUND")) {
    return "promtool is not installed: run scripts/setup (Debian's prometheus package)";
  }
  const std::string file = dir.File("standby-metrics.txt");
  const std::string out = dir.File("standby-metrics.lint");
  WriteFile(file, page);
  const int status =
      std::system((promtool + " check metrics < " + file + " > " + out + " 2>&1").c_str());
  if (status == 0) return "";
  return "promtool check metrics failed: " + ReadFile(out);
}

// How many times RocksDB opened the store in `data_dir`: it renames its info log (LOG) to
// LOG.old.<time> at each open after the first.
int RocksOpens(const std::string& data_dir) {
  int opens = 0;
  if (!std::filesystem::exists(data_dir)) return 0;
  for (const auto& e : std::filesystem::directory_iterator(data_dir)) {
    const std::string name = e.path().filename().string();
    if (name == "LOG" || name.starts_with("LOG.old.")) ++opens;
  }
  return opens;
}

// Makes kTakeOverChanges stream entries on a leader while `b` is its standby, kills the leader
// and returns how many entries `b` replayed when it took over (-1 if it did not say), and `b`'s
// metrics page and how often it had opened its view, both from just before the kill.
constexpr int kTakeOverChanges = 120;  // one stream entry each (a participant change)
void ChangeThenTakeOver(const TempDir& dir, Node& a, Node& b, long long* replayed,
                        std::string* standby_metrics, int* view_opens) {
  for (int i = 0; i < kTakeOverChanges; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "22%08d", i);
    HttpResult r = a.AdminPut(
        std::string("/admin/participants/") + id,
        R"({"role":"MDR","mpid":"DMDR","api_key":"mdr-key-)" + std::to_string(i) + "\"}");
    ASSERT_TRUE(r.status == 200 || r.status == 201) << r.status << " " << r.body;
  }
  // Two follow periods (3 s each) for the standby's next catch-up to come and go.
  std::this_thread::sleep_for(seconds(7));
  *standby_metrics = b.Get("/metrics", /*metrics=*/true).body;
  *view_opens = RocksOpens(dir.File("node-b-data"));
  a.process().Signal(SIGKILL);
  a.process().Wait(seconds(5));
  ASSERT_TRUE(b.WaitReady(seconds(20))) << b.Log();
  *replayed = ReplayedAtOpen(b.Log());
  // The changes are in the new leader's view all the same.
  HttpResult last = b.AdminGet("/admin/participants/2200000119");
  EXPECT_EQ(last.status, 200) << last.body;
  b.process().Signal(SIGTERM);
  EXPECT_EQ(b.process().Wait(seconds(20)), std::optional<int>(0)) << b.Log();
}

// A standby's view follows the stream while it waits for the lease (cluster.follow_ms), so
// taking over replays what the leader wrote in the last few seconds, not everything since the
// node last led (before the follower, it replayed every entry the leader had written: all the
// changes and more).
TEST_F(StandbyTest, AStandbysViewFollowsTheStreamSoTakingOverReplaysLittle) {
  Node a(dir_, "node-a", cluster_);
  ASSERT_NO_FATAL_FAILURE(StartLeader(a));
  Node b(dir_, "node-b", cluster_);
  ASSERT_NO_FATAL_FAILURE(StartStandby(b));
  const double started = static_cast<double>(std::time(nullptr));
  long long replayed = -1;
  std::string metrics;
  int view_opens = 0;
  ASSERT_NO_FATAL_FAILURE(ChangeThenTakeOver(dir_, a, b, &replayed, &metrics, &view_opens));
  std::printf("the standby replayed %lld entries when it took over (%d changes made before)\n",
              replayed, kTakeOverChanges);
  EXPECT_NE(b.Log().find("standby view caught up with the stream"), std::string::npos) << b.Log();
  EXPECT_GE(replayed, 0) << b.Log();
  EXPECT_LT(replayed, 10) << b.Log();
  // Its metrics said so while it waited: every change applied, a recent catch-up, able to lead.
  EXPECT_GE(Sample(metrics, "diphub_cluster_standby_applied_entries_total"), kTakeOverChanges)
      << metrics;
  EXPECT_GE(Sample(metrics, "diphub_cluster_standby_caught_up_timestamp_seconds"), started - 1)
      << metrics;
  EXPECT_EQ(Sample(metrics, "diphub_cluster_standby_can_take_over"), 1) << metrics;
  EXPECT_EQ(LintMetrics(dir_, metrics), "") << metrics;
  // Its view stayed open across its catch-ups (at least three by then): reopening a RocksDB
  // replays its log and flushes what it recovered, which cost the standby as much CPU per
  // message as the leader's whole path.
  EXPECT_EQ(view_opens, 1);
}

// cluster.follow_ms: 0 turns the following off: the standby replays everything when it takes
// over.
TEST_F(StandbyTest, WithFollowingOffTakingOverReplaysEverything) {
  Node a(dir_, "node-a", cluster_);
  ASSERT_NO_FATAL_FAILURE(StartLeader(a));
  Node b(dir_, "node-b", cluster_, "  follow_ms: 0\n");
  ASSERT_NO_FATAL_FAILURE(StartStandby(b));
  long long replayed = -1;
  std::string metrics;
  int view_opens = 0;
  ASSERT_NO_FATAL_FAILURE(ChangeThenTakeOver(dir_, a, b, &replayed, &metrics, &view_opens));
  EXPECT_EQ(b.Log().find("standby view caught up"), std::string::npos) << b.Log();
  EXPECT_EQ(view_opens, 0);
  EXPECT_EQ(Sample(metrics, "diphub_cluster_standby_applied_entries_total"), -1) << metrics;
  EXPECT_GE(replayed, kTakeOverChanges) << b.Log();
}

// A standby whose data dir could never become its view (here: a directory with other files in
// it) says so while it waits, not only when it takes over: in its log and in its metrics.
TEST_F(StandbyTest, AStandbyThatCouldNotTakeOverSaysSoWhileItWaits) {
  Node a(dir_, "node-a", cluster_);
  ASSERT_NO_FATAL_FAILURE(StartLeader(a));
  std::filesystem::create_directories(dir_.File("node-b-data"));
  WriteFile(dir_.File("node-b-data/notes.txt"), "not a diphub store\n");
  Node b(dir_, "node-b", cluster_);
  ASSERT_NO_FATAL_FAILURE(StartStandby(b));
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (b.Log().find("this standby could not take over") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  const std::string log = b.Log();
  EXPECT_NE(log.find("this standby could not take over"), std::string::npos) << log;
  EXPECT_NE(log.find("is not empty (\"notes.txt\")"), std::string::npos) << log;
  const std::string metrics = b.Get("/metrics", /*metrics=*/true).body;
  EXPECT_EQ(Sample(metrics, "diphub_cluster_standby_can_take_over"), 0) << metrics;
  EXPECT_EQ(Sample(metrics, "diphub_cluster_standby_caught_up_timestamp_seconds"), 0) << metrics;
  EXPECT_EQ(b.Get("/readyz").status, 503);  // still a standby; the leader is unaffected
  EXPECT_EQ(a.Get("/readyz").status, 200);
}

TEST_F(StandbyTest, ANodeThatLosesTheLeaseExitsWithStatus3) {
  Node a(dir_, "node-a", cluster_);
  ASSERT_NO_FATAL_FAILURE(StartLeader(a));
  NatsTestClient intruder(cluster_.UrlList());
  ASSERT_TRUE(intruder.Publish("$KV.diphub_leader.leader", "node-x")) << intruder.error();
  EXPECT_EQ(a.process().Wait(seconds(20)), std::optional<int>(3)) << a.Log();
  EXPECT_NE(a.Log().find("lost the leader lease"), std::string::npos) << a.Log();
  EXPECT_NE(a.Log().find("exiting with status 3"), std::string::npos) << a.Log();
}

TEST_F(StandbyTest, TheLeaderStaysLeaderWhenTheLeaseBucketsNatsLeaderIsKilled) {
  Node a(dir_, "node-a", cluster_);
  ASSERT_NO_FATAL_FAILURE(StartLeader(a));
  Node b(dir_, "node-b", cluster_);
  ASSERT_NO_FATAL_FAILURE(StartStandby(b));
  NatsTestClient client(cluster_.UrlList());
  const int victim = cluster_.NodeNamed(client.StreamLeader("KV_diphub_leader"));
  ASSERT_NE(victim, -1);
  cluster_.Kill(victim);  // renewals wait for the bucket's new stream leader (5 to 9 s)
  std::this_thread::sleep_for(seconds(15));
  EXPECT_FALSE(a.process().Wait(milliseconds(0)).has_value()) << a.Log();
  EXPECT_EQ(a.Get("/readyz").status, 200);
  EXPECT_EQ(b.Get("/readyz").status, 503);
  EXPECT_EQ(a.Log().find("lost the leader lease"), std::string::npos) << a.Log();
}

TEST_F(StandbyTest, AStandbyStopsAtOnceOnSigterm) {
  Node a(dir_, "node-a", cluster_);
  ASSERT_NO_FATAL_FAILURE(StartLeader(a));
  Node b(dir_, "node-b", cluster_);
  ASSERT_NO_FATAL_FAILURE(StartStandby(b));
  b.process().Signal(SIGTERM);
  EXPECT_EQ(b.process().Wait(seconds(5)), std::optional<int>(0)) << b.Log();
  EXPECT_EQ(a.Get("/readyz").status, 200);
  a.process().Signal(SIGTERM);
  EXPECT_EQ(a.process().Wait(seconds(20)), std::optional<int>(0)) << a.Log();
}

}  // namespace
}  // namespace diphub::testing
