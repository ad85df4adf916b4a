#include "broker/sla.h"

#include "routing/shard.h"

namespace diphub::broker {
namespace {

constexpr std::size_t kShards = 16;

std::string Key(std::size_t pair, const std::string& participant, const std::string& corr) {
  std::string k = std::to_string(pair);
  k.push_back('\0');
  k += participant;
  k.push_back('\0');
  k += corr;
  return k;
}

}  // namespace

SlaTracker::SlaTracker(const SlaOptions& options, Probe* probe)
    : pairs_(options.pairs),
      per_shard_limit_(std::max<std::size_t>(1, options.max_tracked / kShards)),
      probe_(probe),
      shards_(kShards) {
  std::vector<std::string> names;
  for (const SlaPair& p : pairs_) names.push_back(p.Name());
  probe_->SetSlaPairs(names);
}

SlaTracker::Shard& SlaTracker::ShardOf(const std::string& key) {
  return shards_[routing::ShardFor(key, shards_.size())];
}

bool SlaTracker::Tracks(std::string_view interface_id) const {
  for (const SlaPair& p : pairs_) {
    if (p.request_interface == interface_id || p.response_interface == interface_id) return true;
  }
  return false;
}

void SlaTracker::RequestDelivered(std::string_view interface_id, const std::string& participant,
                                  const std::string& correlation_id, Clock::time_point at) {
  for (std::size_t i = 0; i < pairs_.size(); ++i) {
    if (pairs_[i].request_interface != interface_id) continue;
    std::string key = Key(i, participant, correlation_id);
    Shard& s = ShardOf(key);
    std::lock_guard lock(s.mu);
    s.open.insert_or_assign(key, at);
    s.order.emplace_back(std::move(key), at);
    while (s.order.size() > per_shard_limit_) {
      auto& [old_key, old_at] = s.order.front();
      auto found = s.open.find(old_key);
      if (found != s.open.end() && found->second == old_at) s.open.erase(found);
      s.order.pop_front();
    }
  }
}

void SlaTracker::ResponseReceived(std::string_view interface_id, const std::string& participant,
                                  const std::string& correlation_id, Clock::time_point at) {
  for (std::size_t i = 0; i < pairs_.size(); ++i) {
    if (pairs_[i].response_interface != interface_id) continue;
    std::string key = Key(i, participant, correlation_id);
    Shard& s = ShardOf(key);
    Clock::time_point delivered;
    {
      std::lock_guard lock(s.mu);
      auto it = s.open.find(key);
      if (it == s.open.end()) continue;
      delivered = it->second;
      s.open.erase(it);  // its `order` entry no longer matches anything and ages out
    }
    double seconds = std::chrono::duration<double>(at - delivered).count();
    probe_->SlaResponse(i, seconds);
    if (seconds > pairs_[i].threshold_seconds) probe_->SlaBreach(i, participant);
  }
}

}  // namespace diphub::broker
