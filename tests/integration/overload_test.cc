// Overload (hardening issue), on the real diphub process:
//   - a burst: senders offer far more than the hub lets wait for its group commit
//     (storage.max_pending_bytes 64 KiB);
//   - sustained: 20 s of ingest against a webhook recipient that answers slowly, so the backlog
//     grows on disk while senders keep meeting the commit limit;
//   - a full routing queue: the routing shard's thread is frozen (ptrace) while sends arrive.
// In each the hub answers 429 with Retry-After for what it cannot take, its resident memory stays
// bounded, and every message it acknowledged is delivered exactly once — none it refused is.
#include <errno.h>
#include <gtest/gtest.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "adapters/http/webhook_sink.h"
#include "adapters/zmq/client.h"
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

// Calls `take` with every senderUniqueReference in a delivery body.
template <typename F>
void ForEachReference(const std::string& body, F take) {
  const std::string key = "\"senderUniqueReference\":\"";
  for (std::size_t at = 0; (at = body.find(key, at)) != std::string::npos;) {
    at += key.size();
    take(body.substr(at, body.find('"', at) - at));
  }
}

// Every senderUniqueReference in the bodies `sink` received.
std::set<std::string> DeliveredReferences(RecordingSink& sink) {
  std::set<std::string> out;
  for (const auto& d : sink.WaitFor(0, 0ms)) {
    ForEachReference(d.body, [&out](std::string ref) { out.insert(std::move(ref)); });
  }
  return out;
}

// An IF-061 array of `refs.size()` MDRStart messages with those senderUniqueReferences.
std::string MdrStartArray(const std::vector<std::string>& refs) {
  std::string body = "[";
  for (std::size_t m = 0; m < refs.size(); ++m) {
    const std::string one = MdrStart(refs[m]);
    body += (m ? "," : "") + one.substr(1, one.size() - 2);
  }
  return body + "]";
}

// Samples the hub's resident memory (VmRSS) every 20 ms until stopped.
class RssMonitor {
 public:
  explicit RssMonitor(pid_t pid) : pid_(pid), baseline_(RssBytes(pid)), peak_(baseline_) {
    thread_ = std::thread([this] {
      while (!stop_) {
        peak_ = std::max(peak_.load(), RssBytes(pid_));
        std::this_thread::sleep_for(20ms);
      }
    });
  }
  ~RssMonitor() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::size_t baseline() const { return baseline_; }
  std::size_t peak() const { return peak_; }
  std::size_t growth() const { return peak_ - baseline_; }

 private:
  pid_t pid_;
  std::size_t baseline_;
  std::atomic<std::size_t> peak_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(Overload, RefusesWith429KeepsMemoryBoundedAndLosesNothing) {
  TempDir dir;
  RecordingSink mdr;
  HubProcess hub(dir, mdr.Url());
  ASSERT_TRUE(
      hub.EditConfig("  durability: fsync\n", "  durability: fsync\n  max_pending_bytes: 65536\n"));
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;

  constexpr int kThreads = 6, kSends = 120, kPerSend = 30;
  std::mutex mu;
  std::vector<std::string> accepted, refused;
  std::atomic<int> other{0}, retry_after{0};
  RssMonitor rss(hub.pid());
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int s = 0; s < kSends; ++s) {
        std::vector<std::string> refs;
        for (int m = 0; m < kPerSend; ++m) {
          refs.push_back("S-IF-061-1100000001-SDS-20261122-o" + std::to_string(t) + "x" +
                         std::to_string(s) + "x" + std::to_string(m));
        }
        HttpResult r = hub.Send("IF-061", MdrStartArray(refs));
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
  rss.Stop();

  const std::size_t offered = static_cast<std::size_t>(kThreads) * kSends * kPerSend;
  RecordProperty("accepted", static_cast<int>(accepted.size()));
  RecordProperty("refused", static_cast<int>(refused.size()));
  RecordProperty("rss_growth_mib", static_cast<int>(rss.growth() >> 20));
  EXPECT_EQ(other.load(), 0) << "every send is answered 201 or 429";
  EXPECT_EQ(accepted.size() + refused.size(), offered);
  EXPECT_GT(refused.size(), 0u) << "the load did not exceed storage.max_pending_bytes";
  EXPECT_GT(accepted.size(), 0u);
  EXPECT_EQ(static_cast<std::size_t>(retry_after.load()) * kPerSend, refused.size())
      << "every 429 carries Retry-After";
  // Bounded: the hub held at most its pending limit and the requests in flight, plus RocksDB's
  // memtable filling with what it accepted — not what it was offered (~50 MB).
  EXPECT_LT(rss.growth(), MemoryBound(160u << 20)) << "baseline " << rss.baseline();

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

// A webhook recipient that holds each POST for a settable delay before answering 201, and counts
// how often it received each senderUniqueReference.
class SlowRecipient {
 public:
  SlowRecipient()
      : sink_("127.0.0.1", 0, [this](const adapters::http::SinkDelivery& d) { return Take(d); }) {
    dip::Status s = sink_.Start();
    if (!s.ok()) throw std::runtime_error("webhook sink: " + s.ToString());
  }
  std::string Url() const { return sink_.Url(); }
  void set_delay(std::chrono::milliseconds delay) { delay_ms_ = static_cast<int>(delay.count()); }
  std::size_t messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }
  std::map<std::string, int> counts() {
    std::lock_guard lock(mu_);
    return counts_;
  }

 private:
  int Take(const adapters::http::SinkDelivery& d) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
    std::lock_guard lock(mu_);
    ForEachReference(d.body, [this](std::string ref) {
      ++counts_[std::move(ref)];
      ++messages_;
    });
    return 201;
  }

  std::atomic<int> delay_ms_{0};
  std::mutex mu_;
  std::map<std::string, int> counts_;  // guarded by mu_
  std::size_t messages_ = 0;           // guarded by mu_
  adapters::http::WebhookSink sink_;   // last: stopped before the state its handler uses
};

TEST(Overload, SustainedIngestIntoASlowRecipientKeepsMemoryBoundedAndLosesNothing) {
  TempDir dir;
  SlowRecipient mdr;
  // 20 messages per POST, each POST answered after 20 ms: the recipient takes at most 1,000
  // messages a second, well below what the senders get accepted.
  mdr.set_delay(20ms);
  // The SDS sends over HTTP and, from one more thread, over ZeroMQ.
  const auto [hub_public, hub_secret] = adapters::zmq::CurveKeyPair();
  const auto [sds_public, sds_secret] = adapters::zmq::CurveKeyPair();
  HubProcess hub(dir, mdr.Url(),
                 "adapters: [http, zmq]\nzmq:\n  listen: tcp://127.0.0.1:0\n  secret_key: \"" +
                     hub_secret + "\"\n  credit: 100\nsla:\n  max_tracked: 1000\n");
  ASSERT_TRUE(hub.EditConfig("api_key: demo-sds-key}",
                             "api_key: demo-sds-key, zmq_public_key: \"" + sds_public + "\"}"));
  ASSERT_TRUE(hub.EditConfig("  durability: fsync\n",
                             "  durability: fsync\n  max_pending_bytes: 65536\n"
                             "  memtable_bytes: 2097152\n"));
  ASSERT_TRUE(hub.EditConfig("delivery:\n",
                             "delivery:\n  max_messages_per_post: 20\n"
                             "  memory_queue_limit: 500\n"));
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;

  // 8 senders of 20-message arrays (~26 KB each) keep ~200 KB in flight against the 64 KiB commit
  // limit, for 20 s or until 40,000 messages are accepted and the hub has been offered more than
  // twice the memory bound (kBound, below) in messages of ~1.3 KB: a faster hub accepts 40,000
  // sooner, so the offered load, not the accepted count alone, decides when the test has shown
  // enough.
  constexpr int kThreads = 8, kPerSend = 20;
  constexpr std::size_t kMaxAccepted = 40000;
  constexpr std::size_t kBound = 64u << 20;
  constexpr std::size_t kMinOffered = 2 * kBound / 1300 + 1;
  const auto ingest_end = std::chrono::steady_clock::now() + 20s;
  std::mutex mu;
  std::vector<std::string> accepted, refused;
  std::atomic<int> other{0}, retry_after{0};
  std::atomic<std::size_t> accepted_count{0}, offered_count{0};
  auto ingesting = [&] {
    return std::chrono::steady_clock::now() < ingest_end &&
           (accepted_count.load() < kMaxAccepted || offered_count.load() < kMinOffered);
  };
  RssMonitor rss(hub.pid());
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int s = 0; ingesting(); ++s) {
        std::vector<std::string> refs;
        for (int m = 0; m < kPerSend; ++m) {
          refs.push_back("S-IF-061-1100000001-SDS-20261122-s" + std::to_string(t) + "x" +
                         std::to_string(s) + "x" + std::to_string(m));
        }
        HttpResult r = hub.Send("IF-061", MdrStartArray(refs));
        offered_count += refs.size();
        std::lock_guard lock(mu);
        if (r.status == 201) {
          accepted.insert(accepted.end(), refs.begin(), refs.end());
          accepted_count += refs.size();
        } else if (r.status == 429) {
          refused.insert(refused.end(), refs.begin(), refs.end());
          if (r.headers.count("Retry-After") != 0) ++retry_after;
        } else {
          ++other;
          ADD_FAILURE() << "status " << r.status << " " << r.error << " " << r.body.substr(0, 300);
        }
        // A client that honours Retry-After (1 s) would ease the load; these retry at once with
        // new messages to keep the hub at its limit for the whole run.
      }
    });
  }
  // Over ZeroMQ the hub withholds credit instead: a send it cannot take yet is held and submitted
  // again, so this client's window (100 sends) stays full and every ack is 201.
  std::map<std::uint64_t, std::vector<std::string>> zmq_sent;
  std::map<int, int> zmq_acks;
  senders.emplace_back([&] {
    adapters::zmq::ClientOptions o;
    o.endpoint = hub.zmq_endpoint();
    o.server_public_key = hub_public;
    o.public_key = sds_public;
    o.secret_key = sds_secret;
    auto client = adapters::zmq::Client::Connect(o);
    if (!client.ok()) {
      ADD_FAILURE() << client.status().ToString();
      return;
    }
    adapters::zmq::Client& sds = *client.value();
    sds.on_ack = [&](const adapters::zmq::SendAck& a) {
      std::lock_guard lock(mu);
      ++zmq_acks[a.status];
      std::vector<std::string>& refs = zmq_sent[a.seq];
      if (a.status == 201) {
        accepted.insert(accepted.end(), refs.begin(), refs.end());
        accepted_count += refs.size();
      }
    };
    for (int s = 0; ingesting(); ++s) {
      std::vector<std::string> refs;
      for (int m = 0; m < kPerSend; ++m) {
        refs.push_back("S-IF-061-1100000001-SDS-20261122-z" + std::to_string(s) + "x" +
                       std::to_string(m));
      }
      auto seq = sds.Send("IF-061", MdrStartArray(refs));
      offered_count += refs.size();
      if (!seq.ok()) {
        ADD_FAILURE() << seq.status().ToString();
        return;
      }
      // Its ack is handled by a later Send or the Flush, on this thread.
      std::lock_guard lock(mu);
      zmq_sent[seq.value()] = std::move(refs);
    }
    dip::Status flushed = sds.Flush(60s);
    EXPECT_TRUE(flushed.ok()) << flushed.ToString();
  });
  for (auto& t : senders) t.join();
  const std::size_t delivered_during_ingest = mdr.messages();
  const std::size_t growth_during_ingest = rss.growth();

  // The recipient recovers: the backlog, mostly on disk, drains.
  mdr.set_delay(0ms);
  for (int i = 0; i < 1200 && mdr.messages() < accepted.size(); ++i) {
    std::this_thread::sleep_for(100ms);
  }
  rss.Stop();

  const std::size_t backlog = accepted.size() - std::min(accepted.size(), delivered_during_ingest);
  RecordProperty("accepted", static_cast<int>(accepted.size()));
  RecordProperty("refused", static_cast<int>(refused.size()));
  RecordProperty("backlog_after_ingest", static_cast<int>(backlog));
  RecordProperty("rss_growth_mib", static_cast<int>(rss.growth() >> 20));
  std::printf(
      "accepted %zu, refused %zu, backlog after ingest %zu, resident memory %zu MiB + "
      "%zu MiB (%zu MiB during ingest)\n",
      accepted.size(), refused.size(), backlog, rss.baseline() >> 20, rss.growth() >> 20,
      growth_during_ingest >> 20);
  EXPECT_EQ(other.load(), 0) << "every HTTP send is answered 201 or 429";
  EXPECT_EQ(zmq_acks.size(), 1u) << "every ZeroMQ send is acknowledged 201";
  EXPECT_GT(zmq_acks[201], 0);
  EXPECT_GT(refused.size(), 0u) << "the load never exceeded storage.max_pending_bytes";
  EXPECT_EQ(static_cast<std::size_t>(retry_after.load()) * kPerSend, refused.size())
      << "every 429 carries Retry-After";
  // Ingest outran delivery: the backlog is far more than the recipient's in-memory queue (500),
  // so most of it waited in the store.
  EXPECT_GT(backlog, 10000u) << "the recipient kept up; the test shows nothing";
  // The bound: the hub's own limits — the commit queue (64 KiB), the recipient's memory queue
  // (500 messages, ~1 MB with their records), the requests in flight (9 x 26 KB), the SLA
  // tracker (sla.max_tracked 1,000) — plus RocksDB's, which dominate: storage.memtable_bytes is
  // per column family, so 12 column families x 2 memtables (one filling, one flushing) x 2 MiB
  // = 48 MiB at most, and its 8 MiB block cache. (With memtable_bytes 8 MiB the same run grows
  // by ~70 MiB, the memtables again.) A hub that buffered what it was offered (~1.3 KB a
  // message) would pass the bound many times over.
  EXPECT_LT(rss.growth(), MemoryBound(kBound)) << "baseline " << rss.baseline();
  EXPECT_GT((accepted.size() + refused.size()) * 1300, 2 * kBound) << "the load was too light";

  // Zero loss, no duplicates: every acknowledged message delivered exactly once, no refused one.
  const std::map<std::string, int> counts = mdr.counts();
  EXPECT_EQ(mdr.messages(), accepted.size());
  std::size_t missing = 0, duplicated = 0;
  for (const std::string& ref : accepted) {
    auto it = counts.find(ref);
    if (it == counts.end()) {
      ++missing;
    } else if (it->second != 1) {
      ++duplicated;
    }
  }
  EXPECT_EQ(missing, 0u) << "acknowledged (201) but never delivered";
  EXPECT_EQ(duplicated, 0u) << "delivered more than once";
  std::size_t refused_delivered = 0;
  for (const std::string& ref : refused) refused_delivered += counts.count(ref);
  EXPECT_EQ(refused_delivered, 0u) << "refused with 429 but delivered";
}

// The thread IDs of `pid`'s threads named `name` (/proc/<pid>/task/<tid>/comm).
std::vector<pid_t> ThreadsNamed(pid_t pid, const std::string& name) {
  std::vector<pid_t> out;
  for (const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream comm(e.path() / "comm");
    std::string line;
    if (std::getline(comm, line) && line == name) {
      out.push_back(static_cast<pid_t>(std::stoi(e.path().filename().string())));
    }
  }
  return out;
}

// Stops one thread of another process, leaving its other threads running (ptrace PTRACE_SEIZE
// and PTRACE_INTERRUPT); lets it run on when thawed or destroyed. Use from one thread only: the
// tracer is the thread that seized.
class FrozenThread {
 public:
  explicit FrozenThread(pid_t tid) : tid_(tid) {
    if (::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
      error_ = std::string("PTRACE_SEIZE: ") + std::strerror(errno);
      return;
    }
    seized_ = true;
    int status = 0;
    if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0 ||
        ::waitpid(tid, &status, __WALL) != tid || !WIFSTOPPED(status)) {
      error_ = std::string("PTRACE_INTERRUPT: ") + std::strerror(errno);
    }
  }
  ~FrozenThread() { Thaw(); }
  FrozenThread(const FrozenThread&) = delete;
  FrozenThread& operator=(const FrozenThread&) = delete;
  void Thaw() {
    if (seized_) ::ptrace(PTRACE_DETACH, tid_, nullptr, nullptr);
    seized_ = false;
  }
  const std::string& error() const { return error_; }

 private:
  pid_t tid_;
  bool seized_ = false;
  std::string error_;
};

// routing.queue_capacity bounds the sends waiting for a routing shard. One shard with a queue of
// 16, its thread frozen as if starved of CPU: the sends that fit wait; the rest are answered 429
// with Retry-After at once, naming the routing queue, and nothing of them is stored. Thawed, the
// shard routes what waited, and those senders get their 201.
TEST(Overload, AFullRoutingQueueIs429AndWhatWaitedIsAcceptedWhenItDrains) {
  TempDir dir;
  RecordingSink mdr;
  HubProcess hub(dir, mdr.Url(), "http:\n  threads: 4\n");
  ASSERT_TRUE(hub.EditConfig("  shards: 2\n", "  shards: 1\n"));
  ASSERT_TRUE(hub.EditConfig("routing:\n", "routing:\n  queue_capacity: 16\n"));
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  const std::vector<pid_t> shard = ThreadsNamed(hub.pid(), "diphub-route-0");
  ASSERT_EQ(shard.size(), 1u) << "the routing shard's thread is named diphub-route-0";

  constexpr int kSends = 48;
  std::vector<HttpResult> results(kSends);
  std::atomic<int> answered{0};
  std::vector<std::thread> senders;
  {
    FrozenThread frozen(shard[0]);
    if (!frozen.error().empty()) GTEST_SKIP() << "cannot freeze a thread: " << frozen.error();
    for (int i = 0; i < kSends; ++i) {
      senders.emplace_back([&, i] {
        results[i] =
            hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-q" + std::to_string(i)));
        ++answered;
      });
    }
    // At most the queue's 16 sends wait; every other one is answered while the shard is frozen.
    for (int i = 0; i < 100 && answered.load() < kSends - 16; ++i)
      std::this_thread::sleep_for(50ms);
    std::this_thread::sleep_for(200ms);
    const int answered_while_frozen = answered.load();
    EXPECT_GE(answered_while_frozen, kSends - 16);
    EXPECT_LT(answered_while_frozen, kSends) << "nothing waits: the queue took no send";
    for (int i = 0; i < kSends; ++i) {
      if (results[i].status != 0) {
        EXPECT_EQ(results[i].status, 429) << "no send is routed while the shard is frozen";
      }
    }
  }  // thawed
  for (auto& t : senders) t.join();

  std::set<std::string> accepted, refused;
  for (int i = 0; i < kSends; ++i) {
    const std::string ref = "S-IF-061-1100000001-SDS-20261122-q" + std::to_string(i);
    const HttpResult& r = results[i];
    if (r.status == 201) {
      accepted.insert(ref);
      continue;
    }
    ASSERT_EQ(r.status, 429) << r.error << r.body;
    refused.insert(ref);
    EXPECT_EQ(r.headers.count("Retry-After"), 1u);
    EXPECT_NE(r.body.find("routing queue is full"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("MSG1000"), std::string::npos) << r.body;
  }
  EXPECT_GE(refused.size(), static_cast<std::size_t>(kSends - 16));
  ASSERT_FALSE(accepted.empty());

  // The waiting sends were delivered; the refused ones were never stored.
  std::set<std::string> delivered;
  for (int i = 0; i < 100 && delivered.size() < accepted.size(); ++i) {
    std::this_thread::sleep_for(100ms);
    delivered = DeliveredReferences(mdr);
  }
  EXPECT_EQ(delivered, accepted);
  // The sender's journal knows the accepted sends and none of the refused ones.
  const std::map<std::string, std::string> sds{{"X-API-Key", "demo-sds-key"}};
  EXPECT_EQ(
      hub.Call("GET", "/dip-channel/IF-061/deliveryStatus/1100000001/" + *accepted.begin(), "", sds)
          .status,
      200);
  for (const std::string& ref : refused) {
    EXPECT_EQ(
        hub.Call("GET", "/dip-channel/IF-061/deliveryStatus/1100000001/" + ref, "", sds).status,
        404)
        << ref << " was refused but is in the journal";
  }
  // And the hub routes again.
  EXPECT_EQ(hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-qafter")).status, 201);
}

}  // namespace
}  // namespace diphub::testing
