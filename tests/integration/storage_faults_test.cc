// Storage faults on the real binary: a full disk (a small tmpfs) answers 503 with a clear
// message, loses nothing acknowledged and recovers when space returns; a foreign or corrupt data
// dir stops the start with a clear error and a non-zero exit; retention removes delivered
// messages while traffic flows and never a pending one.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::uint64_t FreeBytes(const std::string& path) {
  struct statvfs st {};
  if (statvfs(path.c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

// A tmpfs mounted at `path` for the test's lifetime.
class Tmpfs {
 public:
  Tmpfs(std::string path, std::size_t megabytes) : path_(std::move(path)) {
    fs::create_directories(path_);
    std::string opts = "size=" + std::to_string(megabytes) + "m";
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, opts.c_str()) == 0;
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

std::set<std::string> DeliveredRefs(RecordingSink& sink) {
  std::set<std::string> refs;
  for (const auto& d : sink.WaitFor(0, 0ms)) {
    std::size_t pos = 0;
    const std::string key = "\"senderUniqueReference\": \"";
    const std::string key2 = "\"senderUniqueReference\":\"";
    while (true) {
      std::size_t a = d.body.find(key, pos), b = d.body.find(key2, pos);
      std::size_t at = std::min(a, b);
      if (at == std::string::npos) break;
      std::size_t start = at + (at == a ? key.size() : key2.size());
      std::size_t end = d.body.find('"', start);
      refs.insert(d.body.substr(start, end - start));
      pos = end;
    }
  }
  return refs;
}

TEST(StorageFaults, DiskFullAnswers503LosesNothingAndRecovers) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a tmpfs (CI runs as root)";
  TempDir dir;
  Tmpfs disk(dir.File("data"), 256);
  ASSERT_TRUE(disk.mounted()) << "mount tmpfs failed";
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  // A small memtable, so the preallocated write-ahead log does not hide the full disk for long.
  ASSERT_TRUE(hub.EditConfig("  durability: fsync\n",
                             "  durability: fsync\n  memtable_bytes: 2097152\n"
                             "  min_free_bytes: 8388608\n"));
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;

  // Leave ~1.5 MB above the 8 MiB reserve.
  const std::string filler = dir.File("data") + "/filler";
  {
    std::ofstream out(filler, std::ios::binary);
    std::string mb(1 << 20, '\0');
    while (FreeBytes(dir.File("data")) > (8u << 20) + (3u << 19)) out.write(mb.data(), mb.size());
    out.flush();
  }
  std::set<std::string> acknowledged;
  HttpResult full;
  // Arrays of 50 messages, until the disk is full.
  for (int i = 0; i < 400 && full.status != 503; ++i) {
    std::vector<std::string> refs;
    std::string body = "[";
    for (int j = 0; j < 50; ++j) {
      refs.push_back("S-IF-061-1100000001-SDS-20261122-df" + std::to_string(i) + "x" +
                     std::to_string(j));
      std::string one = MdrStart(refs.back());
      body += (j ? "," : "") + one.substr(1, one.size() - 2);
    }
    HttpResult r = hub.Send("IF-061", body + "]");
    if (r.status == 201) {
      acknowledged.insert(refs.begin(), refs.end());
    } else {
      full = r;
    }
  }
  ASSERT_EQ(full.status, 503) << "the disk never filled; last: " << full.body << full.error
                              << "\nlog:\n"
                              << hub.Log().substr(hub.Log().size() > 3000 ? hub.Log().size() - 3000
                                                                          : 0);
  EXPECT_NE(full.body.find("disk full"), std::string::npos) << full.body;
  // "may or may not": a batch written (not yet synced) when another write found the disk full
  // stays in RocksDB's memtable and is flushed once space returns (docs/architecture.md).
  EXPECT_TRUE(full.body.find("nothing was stored") != std::string::npos ||
              full.body.find("may or may not be stored") != std::string::npos)
      << full.body;
  // Still full: still 503, and the hub stays up. The disk is topped up before each try: RocksDB
  // frees space on its own meanwhile (a flush that ends deletes a write-ahead log file, a
  // compaction its input files), which can leave room above the reserve for one more commit;
  // such a send is rightly answered 201 (the check is a statvfs per group commit) and counts as
  // acknowledged.
  int still_full = 0;
  for (int attempt = 0; attempt < 5 && still_full != 503; ++attempt) {
    {
      std::ofstream out(filler, std::ios::binary | std::ios::app);
      std::string chunk(1 << 18, '\0');
      while (FreeBytes(dir.File("data")) > (4u << 20)) {
        out.write(chunk.data(), chunk.size());
        out.flush();
      }
    }
    const std::string ref = "S-IF-061-1100000001-SDS-20261122-dfx" + std::to_string(attempt);
    still_full = hub.Send("IF-061", MdrStart(ref)).status;
    if (still_full == 201) acknowledged.insert(ref);
  }
  EXPECT_EQ(still_full, 503) << "a full disk (4 MiB free, 8 MiB reserve) took sends 5 times";

  fs::remove(filler);
  bool recovered = false;
  for (int i = 0; i < 60 && !recovered; ++i) {
    std::string ref = "S-IF-061-1100000001-SDS-20261122-dfr" + std::to_string(i);
    HttpResult r = hub.Send("IF-061", MdrStart(ref));
    recovered = r.status == 201;
    if (recovered) acknowledged.insert(ref);
    if (!recovered) std::this_thread::sleep_for(500ms);
  }
  ASSERT_TRUE(recovered) << "no 201 within 30 s of freeing space; log:\n" << hub.Log();

  // Every acknowledged message is delivered.
  auto deadline = std::chrono::steady_clock::now() + 60s;
  std::set<std::string> delivered;
  while (std::chrono::steady_clock::now() < deadline) {
    delivered = DeliveredRefs(sink);
    bool all = true;
    for (const std::string& ref : acknowledged) all = all && delivered.count(ref);
    if (all) break;
    std::this_thread::sleep_for(200ms);
  }
  for (const std::string& ref : acknowledged) {
    EXPECT_TRUE(delivered.count(ref)) << "acknowledged but not delivered: " << ref;
  }
  EXPECT_GT(acknowledged.size(), 10u);
  EXPECT_EQ(hub.Terminate(), 0);
}

// Runs diphub on `data_dir` and returns (exit code, log).
std::pair<int, std::string> StartOn(const TempDir& dir, const std::string& data_dir) {
  WriteFile(dir.File("c.yaml"),
            "storage: {data_dir: " + data_dir +
                "}\nhttp: {listen: \"127.0.0.1:0\"}\nmetrics: {listen: \"\"}\n");
  ChildProcess p(DIPHUB_BINARY, {"--config", dir.File("c.yaml")}, dir.File("run.log"));
  p.Start();
  auto code = p.Wait(20s);
  if (!code) p.Signal(SIGKILL);
  return {code.value_or(-1), ReadFile(dir.File("run.log"))};
}

TEST(StorageFaults, ForeignDataDirIsRefused) {
  TempDir dir;
  fs::create_directories(dir.File("foreign"));
  WriteFile(dir.File("foreign") + "/important.txt", "not yours");
  auto [code, log] = StartOn(dir, dir.File("foreign"));
  EXPECT_NE(code, 0);
  EXPECT_NE(log.find("is not empty"), std::string::npos) << log;
  EXPECT_EQ(ReadFile(dir.File("foreign") + "/important.txt"), "not yours");
  EXPECT_FALSE(fs::exists(dir.File("foreign") + "/CURRENT")) << "nothing must be created in it";
}

TEST(StorageFaults, CorruptStoreIsRefusedWithAClearError) {
  TempDir dir;
  {
    HubProcess hub(dir, "");
    std::string error;
    ASSERT_TRUE(hub.Start(&error)) << error;
    ASSERT_EQ(hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-c1")).status, 201);
    ASSERT_EQ(hub.Terminate(), 0);
  }
  // Damage every MANIFEST: the store can no longer be opened.
  for (const auto& e : fs::directory_iterator(dir.File("data"))) {
    if (e.path().filename().string().starts_with("MANIFEST")) {
      WriteFile(e.path().string(), std::string(64, '\x5a'));
    }
  }
  auto [code, log] = StartOn(dir, dir.File("data"));
  EXPECT_NE(code, 0);
  EXPECT_NE(log.find("restore"), std::string::npos) << log;
}

TEST(StorageFaults, RetentionRemovesDeliveredButNeverPendingMessages) {
  TempDir dir;
  RecordingSink sink;
  // A second MDR, paired with the SDS, with no webhook.
  HubProcess hub(dir, sink.Url(), "  - {dip_id: \"1200000009\", role: MDR, mpid: DMD9}\n");
  ASSERT_TRUE(
      hub.EditConfig("  durability: fsync\n", "  durability: fsync\n  retention_seconds: 1\n"));
  ASSERT_TRUE(hub.EditConfig("mdr: \"1200000001\"}]",
                             "mdr: \"1200000001\"}, {sds: \"1100000001\", mdr: \"1200000009\"}]"));
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  const std::map<std::string, std::string> sds{{"X-API-Key", "demo-sds-key"}};
  ASSERT_EQ(hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-r1")).status, 201);
  ASSERT_TRUE(hub.WaitForMetric(
      "diphub_deliveries_total{recipient=\"1200000001\",status=\"Delivered\"} 1", 10s));
  // A message for the second MDR, which has no webhook: it stays pending.
  std::string to_idle = MdrStart("S-IF-061-1100000001-SDS-20261122-r2");
  to_idle.replace(to_idle.find("[\"1200000001\"]"), 14, "[\"1200000009\"]");
  ASSERT_EQ(hub.Send("IF-061", to_idle).status, 201);

  const std::string journal1 =
      "/dip-channel/IF-061/deliveryStatus/1100000001/S-IF-061-1100000001-SDS-20261122-r1";
  ASSERT_EQ(hub.Call("GET", journal1, "", sds).status, 200);
  auto deadline = std::chrono::steady_clock::now() + 15s;
  int status = 200;
  while (status == 200 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(500ms);
    status = hub.Call("GET", journal1, "", sds).status;
  }
  EXPECT_EQ(status, 404) << "the delivered message was not expired";
  EXPECT_EQ(hub.Call("GET",
                     "/dip-channel/IF-061/deliveryStatus/1100000001/"
                     "S-IF-061-1100000001-SDS-20261122-r2",
                     "", sds)
                .status,
            200)
      << "a pending message must never expire";
  // Its reference is free again once expired (the dedupe window is the retention period).
  EXPECT_EQ(hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-r1")).status, 201);
}

}  // namespace
}  // namespace diphub::testing
