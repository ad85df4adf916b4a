// Property test of the sharded pipeline (issue #4): several senders submit, without waiting for
// answers, random interleavings of messages for MPANs owned by different routing shards; some
// sends are arrays spanning both shards. Whatever the interleaving:
//   - per (recipient, MPAN) the commit order (which delivery follows) is the sequence order;
//   - per (sender, MPAN) a sender's single-shard sends are accepted in the order it made them.
// Real parts: Ingest, RoutingShards (2 threads), GroupCommitter and RocksDB in a temp dir.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "broker/ingest.h"
#include "broker/routing_shards.h"
#include "routing/shard.h"
#include "storage/group_commit.h"
#include "storage/store.h"
#include "tests/support/temp_dir.h"

namespace diphub::broker {
namespace {

constexpr int kSenders = 3;
constexpr int kSendsPerSender = 300;
constexpr int kMpans = 24;

std::string Mpan(int i) { return std::to_string(2000000000100 + i); }
std::string Sender(int s) { return "14000000" + std::to_string(10 + s); }

std::string Message(const std::string& sender, int k, int part, const std::string& mpan) {
  const std::string ref =
      "S-IF-009-" + sender + "-REGS-20261122-" + std::to_string(k) + "x" + std::to_string(part);
  return R"({"payload":{"CommonBlock":{
  "S0":{"interfaceID":"IF-009","schemaVersion":"011","eventCode":"[MPANDisconnection]"},
  "S1":{"environmentTag":"DEV","subText":null,"senderUniqueReference":")" +
         ref + R"(","senderTimestamp":"2026-11-22T09:30:00+00:00","senderDIPID":")" + sender +
         R"(","senderRoleID":"REGS","senderCorrelationID":null,"DIPConnectionProviderID":null},
  "A0":{"primaryRecipients":[],"secondaryRecipients":[],"always":[]},
  "M0":{"MPANCore":")" +
         mpan + R"(","distributorDIPID":"1009012345","GSPGroupID":"_K"}},
 "CustomBlock":{"B041":{"disconnectionEffectiveFromDate":"2026-11-22T09:30:00+00:00","additionalInformation":"x"}}}})";
}

TEST(ShardedOrdering, RandomInterleavingsKeepPerRecipientAndMpanOrder) {
  testing::TempDir dir;
  auto opened = storage::OpenRocksStore(dir.path() + "/db");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<storage::Store> store = std::move(opened).value();

  std::vector<routing::Participant> ps;
  auto add = [&](std::string id, const char* role) {
    routing::Participant p;
    p.dip_id = std::move(id);
    p.role = role;
    ps.push_back(p);
  };
  add("1300000001", "SUP");
  add("1300000002", "SUP");
  add("1100000001", "SDS");
  for (int s = 0; s < kSenders; ++s) add(Sender(s), "REGS");
  std::shared_ptr<const routing::Registry> registry = routing::Registry::Build(ps).value();

  RoutingShards shards(2, 4096, std::make_shared<routing::Policy>());
  std::vector<int> shard_of(kMpans);
  for (int i = 0; i < kMpans; ++i) {
    const std::uint64_t key = *routing::MpanKey(Mpan(i));
    // Two suppliers and one SDS: each message goes to two recipients.
    shards.Load({key, 0, 1, i % 2 == 0 ? "1300000001" : "1300000002"});
    shards.Load({key, 1, 1, "1100000001"});
    shard_of[i] = static_cast<int>(shards.ShardOf(Mpan(i)));
  }
  shards.Start();

  storage::GroupCommitOptions gc_options;
  gc_options.durability = storage::Durability::kOsBuffered;
  storage::GroupCommitter committer(store.get(), gc_options, nullptr);
  HubSettings settings;
  settings.dip_id = "0000000000";
  settings.environment_tag = "DEV";
  settings.require_api_key = false;
  settings.signatures = "off";
  Probe probe;

  struct Committed {
    std::uint64_t seq;
    std::string sender, mpan, ref;
    std::vector<std::string> recipients;
  };
  std::mutex mu;
  std::vector<Committed> committed;
  Ingest ingest(
      &settings, [&] { return registry; }, &shards, &committer, &probe, nullptr,
      [&](const std::vector<storage::MessageRecord>& records) {
        std::lock_guard lock(mu);
        for (const auto& r : records) {
          committed.push_back({r.seq, r.sender_dip_id, r.mpan.value_or(""),
                               r.sender_unique_reference, r.recipients});
        }
      });

  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::atomic<int> answered{0}, accepted{0};
  std::condition_variable done_cv;
  // Per sender: which sends were single-shard (their order must hold per MPAN).
  std::vector<std::vector<bool>> single(kSenders, std::vector<bool>(kSendsPerSender));
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      std::mt19937 rng(seed + static_cast<unsigned>(s));
      std::uniform_int_distribution<int> pick(0, kMpans - 1);
      for (int k = 0; k < kSendsPerSender; ++k) {
        const int a = pick(rng);
        std::string body = "[" + Message(Sender(s), k, 0, Mpan(a));
        single[s][k] = rng() % 4 != 0;
        if (!single[s][k]) {
          int b = pick(rng);
          while (shard_of[b] == shard_of[a]) b = pick(rng);
          body += "," + Message(Sender(s), k, 1, Mpan(b));
        }
        body += "]";
        SubmitRequest req;
        req.channel = "IF-009";
        req.body = std::move(body);
        // Routing queues hold 4096 sends: more than this test makes, so none is refused.
        ingest.Submit(std::move(req), [&](SubmitResponse r) {
          if (r.kind == SubmitResponse::Kind::kAccepted) ++accepted;
          std::lock_guard lock(mu);
          ++answered;
          done_cv.notify_all();
        });
      }
    });
  }
  for (auto& t : senders) t.join();
  {
    std::unique_lock lock(mu);
    done_cv.wait_for(lock, std::chrono::seconds(60),
                     [&] { return answered == kSenders * kSendsPerSender; });
  }
  committer.Stop();
  shards.Stop();
  ASSERT_EQ(answered.load(), kSenders * kSendsPerSender);
  EXPECT_EQ(accepted.load(), kSenders * kSendsPerSender);

  std::lock_guard lock(mu);
  // Commit order is sequence order, so per (recipient, MPAN) deliveries follow acceptance.
  std::map<std::pair<std::string, std::string>, std::uint64_t> last_seq;
  for (const Committed& c : committed) {
    ASSERT_EQ(c.recipients.size(), 2u) << c.ref;
    for (const std::string& to : c.recipients) {
      auto [it, fresh] = last_seq.emplace(std::make_pair(to, c.mpan), c.seq);
      if (!fresh) {
        EXPECT_GT(c.seq, it->second) << to << " " << c.mpan;
        it->second = c.seq;
      }
    }
  }
  // A sender's single-shard sends for one MPAN are accepted in the order it made them.
  std::map<std::pair<std::string, std::string>, int> last_k;
  for (const Committed& c : committed) {
    // The reference ends "-<k>x<part>" (the spec's pattern allows no dash in the last part).
    const std::size_t dash = c.ref.rfind('-');
    const int k = std::stoi(c.ref.substr(dash + 1, c.ref.find('x', dash) - dash - 1));
    const int s = std::stoi(c.sender.substr(8)) - 10;
    if (!single[s][k]) continue;
    auto [it, fresh] = last_k.emplace(std::make_pair(c.sender, c.mpan), k);
    if (!fresh) {
      EXPECT_GT(k, it->second) << c.sender << " " << c.mpan;
      it->second = k;
    }
  }
}

}  // namespace
}  // namespace diphub::broker
