#include "storage/recent_messages.h"

#include <algorithm>

namespace diphub::storage {

void RecentMessages::Add(std::shared_ptr<const void> owner, std::size_t bytes,
                         std::vector<Value> values) {
  if (values.empty() || bytes > max_bytes_) return;
  if (!std::is_sorted(values.begin(), values.end(),
                      [](const Value& a, const Value& b) { return a.seq < b.seq; })) {
    std::sort(values.begin(), values.end(),
              [](const Value& a, const Value& b) { return a.seq < b.seq; });
  }
  std::lock_guard lock(mu_);
  while (!batches_.empty() && bytes_ + bytes > max_bytes_) {
    bytes_ -= batches_.front().bytes;
    batches_.pop_front();
  }
  bytes_ += bytes;
  batches_.push_back({std::move(owner), bytes, std::move(values)});
}

std::optional<RecentMessages::Value> RecentMessages::Find(std::uint64_t seq,
                                                          std::shared_ptr<const void>* keep) const {
  std::lock_guard lock(mu_);
  // Newest first: deliveries follow the commits closely.
  for (auto b = batches_.rbegin(); b != batches_.rend(); ++b) {
    if (seq < b->values.front().seq || seq > b->values.back().seq) continue;
    auto it = std::lower_bound(b->values.begin(), b->values.end(), seq,
                               [](const Value& v, std::uint64_t s) { return v.seq < s; });
    if (it == b->values.end() || it->seq != seq) continue;
    *keep = b->owner;
    return *it;
  }
  return std::nullopt;
}

void RecentMessages::Clear() {
  std::lock_guard lock(mu_);
  batches_.clear();
  bytes_ = 0;
}

}  // namespace diphub::storage
