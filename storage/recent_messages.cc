#include "storage/recent_messages.h"

#include <algorithm>

namespace diphub::storage {

void RecentMessages::Add(std::shared_ptr<const void> owner, std::string_view data,
                         std::vector<Value> values) {
  if (values.empty() || data.size() > max_bytes_) return;
  if (!std::is_sorted(values.begin(), values.end(),
                      [](const Value& a, const Value& b) { return a.seq < b.seq; })) {
    std::sort(values.begin(), values.end(),
              [](const Value& a, const Value& b) { return a.seq < b.seq; });
  }
  std::lock_guard lock(mu_);
  while (!batches_.empty() && bytes_ + data.size() > max_bytes_) {
    bytes_ -= batches_.front().data.size();
    batches_.pop_front();
  }
  bytes_ += data.size();
  batches_.push_back({std::move(owner), data, std::move(values)});
}

std::optional<std::string_view> RecentMessages::Find(std::uint64_t seq,
                                                     std::shared_ptr<const void>* keep) const {
  std::lock_guard lock(mu_);
  // Newest first: deliveries follow the commits closely.
  for (auto b = batches_.rbegin(); b != batches_.rend(); ++b) {
    if (seq < b->values.front().seq || seq > b->values.back().seq) continue;
    auto it = std::lower_bound(b->values.begin(), b->values.end(), seq,
                               [](const Value& v, std::uint64_t s) { return v.seq < s; });
    if (it == b->values.end() || it->seq != seq) continue;
    *keep = b->owner;
    return b->data.substr(it->offset, it->size);
  }
  return std::nullopt;
}

void RecentMessages::Clear() {
  std::lock_guard lock(mu_);
  batches_.clear();
  bytes_ = 0;
}

}  // namespace diphub::storage
