// Overload (hardening issue): senders offer far more than the hub lets wait for its group commit
// (storage.max_pending_bytes 64 KiB). The hub answers 429 with Retry-After for what it cannot
// take, its resident memory stays bounded, and every message it acknowledged is delivered —
// none it refused is.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

std::size_t RssBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // kB
  }
  return 0;
}

// Every senderUniqueReference in the bodies `sink` received.
std::set<std::string> DeliveredReferences(RecordingSink& sink) {
  std::set<std::string> out;
  const std::string key = "\"senderUniqueReference\":\"";
  for (const auto& d : sink.WaitFor(0, 0ms)) {
    for (std::size_t at = 0; (at = d.body.find(key, at)) != std::string::npos;) {
      at += key.size();
      out.insert(d.body.substr(at, d.body.find('"', at) - at));
    }
  }
  return out;
}

TEST(Overload, RefusesWith429KeepsMemoryBoundedAndLosesNothing) {
  TempDir dir;
  RecordingSink mdr;
  HubProcess hub(dir, mdr.Url());
  ASSERT_TRUE(
      hub.EditConfig("  durability: fsync\n", "  durability: fsync\n  max_pending_bytes: 65536\n"));
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  const std::size_t baseline = RssBytes(hub.pid());

  constexpr int kThreads = 6, kSends = 120, kPerSend = 30;
  std::mutex mu;
  std::vector<std::string> accepted, refused;
  std::atomic<int> other{0}, retry_after{0};
  std::atomic<bool> sending{true};
  std::atomic<std::size_t> peak{baseline};
  std::thread monitor([&] {
    while (sending) {
      peak = std::max(peak.load(), RssBytes(hub.pid()));
      std::this_thread::sleep_for(20ms);
    }
  });
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int s = 0; s < kSends; ++s) {
        std::vector<std::string> refs;
        std::string body = "[";
        for (int m = 0; m < kPerSend; ++m) {
          refs.push_back("S-IF-061-1100000001-SDS-20261122-o" + std::to_string(t) + "x" +
                         std::to_string(s) + "x" + std::to_string(m));
          const std::string one = MdrStart(refs.back());
          body += (m ? "," : "") + one.substr(1, one.size() - 2);
        }
        body += "]";
        HttpResult r = hub.Send("IF-061", body);
        std::lock_guard lock(mu);
        if (r.status == 201) {
          accepted.insert(accepted.end(), refs.begin(), refs.end());
        } else if (r.status == 429) {
          refused.insert(refused.end(), refs.begin(), refs.end());
          if (r.headers.count("Retry-After") != 0) ++retry_after;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : senders) t.join();
  sending = false;
  monitor.join();

  const std::size_t offered = static_cast<std::size_t>(kThreads) * kSends * kPerSend;
  RecordProperty("accepted", static_cast<int>(accepted.size()));
  RecordProperty("refused", static_cast<int>(refused.size()));
  RecordProperty("rss_growth_mib", static_cast<int>((peak.load() - baseline) >> 20));
  EXPECT_EQ(other.load(), 0) << "every send is answered 201 or 429";
  EXPECT_EQ(accepted.size() + refused.size(), offered);
  EXPECT_GT(refused.size(), 0u) << "the load did not exceed storage.max_pending_bytes";
  EXPECT_GT(accepted.size(), 0u);
  EXPECT_EQ(static_cast<std::size_t>(retry_after.load()) * kPerSend, refused.size())
      << "every 429 carries Retry-After";
  // Bounded: the hub held at most its pending limit and the requests in flight, plus RocksDB's
  // memtable filling with what it accepted — not what it was offered (~50 MB).
  EXPECT_LT(peak.load(), baseline + (160u << 20)) << "baseline " << baseline;

  // Nothing acknowledged is lost, nothing refused is delivered.
  std::set<std::string> delivered;
  for (int i = 0; i < 600 && delivered.size() < accepted.size(); ++i) {
    std::this_thread::sleep_for(100ms);
    delivered = DeliveredReferences(mdr);
  }
  EXPECT_EQ(delivered.size(), accepted.size());
  for (const std::string& ref : accepted) {
    if (!delivered.count(ref)) {
      ADD_FAILURE() << "acknowledged but not delivered: " << ref;
      break;
    }
  }
  for (const std::string& ref : refused) {
    if (delivered.count(ref)) {
      ADD_FAILURE() << "refused with 429 but delivered: " << ref;
      break;
    }
  }
}

}  // namespace
}  // namespace diphub::testing
