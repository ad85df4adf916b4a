// Durability under crashes: senders hammer IF-061 while the hub is SIGKILLed at random moments
// and restarted on the same data. Every message the hub acknowledged (201) must reach the
// recipient's webhook at least once, and nothing that was not sent may be delivered.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <iostream>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kSenders = 3;
// The kills always happen under load; once they are done, sending stops at kTargetSends (or
// kLoadTimeLimit). kMaxSends bounds a fast machine during the kill phase.
constexpr int kTargetSends = 3000;
constexpr int kMaxSends = 8000;
constexpr auto kLoadTimeLimit = 30s;
constexpr int kKills = 4;

struct SenderResult {
  std::vector<std::string> sent;          // every ref ever generated (and POSTed at least once)
  std::vector<std::string> acknowledged;  // 201, or MSG1006 on a resend after an unknown outcome
  std::vector<std::string> unresolved;    // never got a definite answer
  std::vector<std::string> errors;        // answers that make no sense (reported as failures)
  int posts = 0, unknown_outcomes = 0, resent_stored = 0, resent_accepted = 0;
};

class Sender {
 public:
  Sender(int id, const std::atomic<std::uint16_t>& port, std::atomic<int>& total_new,
         const std::atomic<bool>& stop_new)
      : id_(id), port_(port), total_new_(total_new), stop_new_(stop_new) {}

  // Sends new messages until told to stop, then resolves what is still unknown (bounded by
  // `resolve_deadline`, read once new sends have stopped).
  void Run(const std::atomic<Clock::rep>& resolve_deadline) {
    std::vector<std::string> unknown;  // sent, no answer: resend with the same ref
    int n = 0;
    while (true) {
      const bool sending = !stop_new_.load();
      if (!sending && unknown.empty()) break;
      if (!sending && Clock::now().time_since_epoch().count() > resolve_deadline.load()) break;
      std::string ref;
      bool resend = false;
      if (!unknown.empty()) {
        ref = unknown.front();
        resend = true;
      } else {
        if (total_new_.fetch_add(1) >= kMaxSends) {
          std::this_thread::sleep_for(5ms);  // the budget is spent; wait for the stop
          continue;
        }
        ref =
            "S-IF-061-1100000001-SDS-20261122-k" + std::to_string(id_) + "x" + std::to_string(++n);
        result_.sent.push_back(ref);
      }
      ++result_.posts;
      HttpResult r =
          HttpRequest("127.0.0.1", port_.load(), "POST", "/dip-channel/IF-061", MdrStart(ref),
                      {{"Content-Type", "application/json"}, {"X-API-Key", "demo-sds-key"}}, 5s);
      const bool duplicate = r.status == 400 && r.body.find("MSG1006") != std::string::npos;
      if (r.status == 201) {
        result_.acknowledged.push_back(ref);
        if (resend) {
          ++result_.resent_accepted;
          unknown.erase(unknown.begin());
        }
      } else if (duplicate && resend) {
        // The first attempt was stored before the hub died: acknowledged then.
        result_.acknowledged.push_back(ref);
        ++result_.resent_stored;
        unknown.erase(unknown.begin());
      } else if (duplicate || (r.status >= 400 && r.status < 500 && r.status != 429)) {
        // A fresh ref can never be a duplicate, and the message is valid.
        result_.errors.push_back(ref + ": HTTP " + std::to_string(r.status) + " " + r.body);
        if (resend) unknown.erase(unknown.begin());
      } else {
        // No answer (the hub died or is restarting) or a transient refusal: unknown outcome.
        if (!resend) {
          unknown.push_back(ref);
          ++result_.unknown_outcomes;
        }
        std::this_thread::sleep_for(5ms);
      }
    }
    result_.unresolved = std::move(unknown);
  }

  const SenderResult& result() const { return result_; }

 private:
  int id_;
  const std::atomic<std::uint16_t>& port_;
  std::atomic<int>& total_new_;
  const std::atomic<bool>& stop_new_;
  SenderResult result_;
};

// Collects the senderUniqueReference of every message in the deliveries from `from` on.
void CollectRefs(const std::vector<adapters::http::SinkDelivery>& deliveries, std::size_t from,
                 std::unordered_map<std::string, int>* delivered, std::vector<std::string>* bad) {
  simdjson::dom::parser parser;
  for (std::size_t i = from; i < deliveries.size(); ++i) {
    simdjson::dom::array messages;
    if (parser.parse(deliveries[i].body).get_array().get(messages)) {
      bad->push_back("delivery body is not a JSON array: " + deliveries[i].body.substr(0, 200));
      continue;
    }
    for (simdjson::dom::element m : messages) {
      std::string_view ref;
      if (m.at_pointer("/payload/CommonBlock/S1/senderUniqueReference").get_string().get(ref)) {
        bad->push_back("delivered message without a senderUniqueReference");
        continue;
      }
      ++(*delivered)[std::string(ref)];
    }
  }
}

TEST(Crash, NoAcknowledgedMessageIsLostAcrossRandomKills) {
  const auto test_start = Clock::now();
  const std::uint32_t seed = std::random_device{}();
  std::cout << "[ crash ] seed " << seed << std::endl;
  RecordProperty("seed", std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> load_ms(200, 900);

  TempDir dir;
  RecordingSink sink;  // up the whole time, always 201
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;

  std::atomic<std::uint16_t> port{hub.http_port()};
  std::atomic<int> total_new{0};
  std::atomic<bool> stop_new{false};
  std::atomic<Clock::rep> resolve_deadline{(Clock::now() + 600s).time_since_epoch().count()};
  std::vector<std::unique_ptr<Sender>> senders;
  std::vector<std::thread> threads;
  for (int i = 0; i < kSenders; ++i) {
    senders.push_back(std::make_unique<Sender>(i + 1, port, total_new, stop_new));
  }
  for (auto& s : senders)
    threads.emplace_back([&s, &resolve_deadline] { s->Run(resolve_deadline); });

  // Kill while the senders are running; restart on the same data dir.
  bool restart_failed = false;
  for (int k = 0; k < kKills && !restart_failed; ++k) {
    const int wait = load_ms(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    const int before = std::min(total_new.load(), kMaxSends);
    hub.Kill();
    std::cout << "[ crash ] kill " << k + 1 << " after " << wait << " ms (" << before
              << " new refs so far)" << std::endl;
    if (!hub.Start(&error)) {
      restart_failed = true;
      break;
    }
    port = hub.http_port();
  }
  if (!restart_failed) {
    // Keep loading the restarted hub until the budget or the time limit is reached.
    while (total_new.load() < kTargetSends && Clock::now() - test_start < kLoadTimeLimit) {
      std::this_thread::sleep_for(20ms);
    }
  }
  resolve_deadline = (Clock::now() + 15s).time_since_epoch().count();
  stop_new = true;
  for (auto& t : threads) t.join();
  ASSERT_FALSE(restart_failed) << "restart after a kill failed: " << error;

  std::set<std::string> sent, acknowledged, unresolved;
  std::vector<std::string> errors;
  int posts = 0, unknown_outcomes = 0, resent_stored = 0, resent_accepted = 0;
  for (const auto& s : senders) {
    const SenderResult& r = s->result();
    sent.insert(r.sent.begin(), r.sent.end());
    acknowledged.insert(r.acknowledged.begin(), r.acknowledged.end());
    unresolved.insert(r.unresolved.begin(), r.unresolved.end());
    errors.insert(errors.end(), r.errors.begin(), r.errors.end());
    posts += r.posts;
    unknown_outcomes += r.unknown_outcomes;
    resent_stored += r.resent_stored;
    resent_accepted += r.resent_accepted;
  }

  // Wait (bounded) until every acknowledged ref has reached the webhook.
  std::unordered_map<std::string, int> delivered;
  std::vector<std::string> bad;
  std::size_t parsed = 0;
  std::vector<std::string> missing;
  const auto deliver_deadline = Clock::now() + 60s;
  while (true) {
    std::vector<adapters::http::SinkDelivery> got = sink.WaitFor(parsed + 1, 200ms);
    CollectRefs(got, parsed, &delivered, &bad);
    parsed = got.size();
    missing.clear();
    for (const std::string& ref : acknowledged) {
      if (!delivered.contains(ref)) missing.push_back(ref);
    }
    if (missing.empty() || Clock::now() > deliver_deadline) break;
  }
  // Let any redelivery in flight land before checking what was delivered.
  std::this_thread::sleep_for(300ms);
  {
    std::vector<adapters::http::SinkDelivery> got = sink.WaitFor(0, 0ms);
    CollectRefs(got, parsed, &delivered, &bad);
    parsed = got.size();
  }

  std::size_t duplicates = 0;
  std::vector<std::string> unexpected;
  std::size_t delivered_unknown = 0;
  for (const auto& [ref, times] : delivered) {
    duplicates += static_cast<std::size_t>(times - 1);
    if (!sent.contains(ref)) unexpected.push_back(ref);
    if (!acknowledged.contains(ref)) ++delivered_unknown;
  }
  std::cout
      << "[ crash ] seed " << seed << ": " << sent.size() << " refs sent in " << posts << " POSTs, "
      << acknowledged.size() << " acknowledged, " << unknown_outcomes
      << " unknown outcomes (resent: " << resent_stored << " already stored, " << resent_accepted
      << " accepted now, " << unresolved.size() << " unresolved), " << delivered.size()
      << " delivered unique (" << delivered_unknown << " of them unacknowledged), " << duplicates
      << " duplicates in " << parsed << " webhook POSTs, "
      << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - test_start).count()
      << " ms" << std::endl;

  EXPECT_TRUE(errors.empty()) << errors.size() << " unexpected answers, first: " << errors[0];
  EXPECT_TRUE(bad.empty()) << bad.size() << " bad deliveries, first: " << bad[0];
  EXPECT_GT(acknowledged.size(), 500u) << "too little load to mean anything";
  EXPECT_TRUE(missing.empty()) << "seed " << seed << ": " << missing.size()
                               << " acknowledged refs never delivered, first: " << missing[0]
                               << "\nhub log tail:\n"
                               << hub.Log().substr(hub.Log().size() > 8000 ? hub.Log().size() - 8000
                                                                           : 0);
  EXPECT_TRUE(unexpected.empty()) << "seed " << seed << ": " << unexpected.size()
                                  << " delivered refs were never sent, first: " << unexpected[0];
  EXPECT_EQ(hub.Terminate(), 0);
}

}  // namespace
}  // namespace diphub::testing
