// SLA monitoring of request/response pairs. When a request publication (e.g. PUB-061) is
// delivered to a participant, the tracker remembers (pair, participant, correlation ID) -> when;
// when that participant then sends the pair's response interface (e.g. IF-062) with the same
// correlation ID, the elapsed time is observed per pair and, past the pair's threshold, counted
// as a breach for that participant.
//
// Memory is bounded: the tracker remembers the last `max_tracked` request deliveries (answered
// ones are dropped from the look-up at once); the oldest are forgotten first.
// Thread-safety: safe from any thread (sharded mutexes; one lock per delivered request message
// and per response, never on the path of messages outside the configured pairs).
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/config.h"
#include "broker/probe.h"

namespace diphub::broker {

class SlaTracker {
 public:
  using Clock = std::chrono::steady_clock;
  SlaTracker(const SlaOptions& options, Probe* probe);

  // `interface_id` is the request's interface ("IF-061"); its publication is delivered.
  void RequestDelivered(std::string_view interface_id, const std::string& participant,
                        const std::string& correlation_id, Clock::time_point at);
  // `participant` sent `interface_id` with `correlation_id`.
  void ResponseReceived(std::string_view interface_id, const std::string& participant,
                        const std::string& correlation_id, Clock::time_point at);

  // True when `interface_id` is the request or response side of some pair (cheap pre-check).
  bool Tracks(std::string_view interface_id) const;

 private:
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Clock::time_point> open;
    // Insertion order, for eviction; an entry evicts its key only if the open request is still
    // the one it recorded (the same key may have been answered and delivered again since).
    std::deque<std::pair<std::string, Clock::time_point>> order;
  };
  Shard& ShardOf(const std::string& key);

  std::vector<SlaPair> pairs_;
  std::size_t per_shard_limit_;
  Probe* probe_;
  std::vector<Shard> shards_;
};

}  // namespace diphub::broker
