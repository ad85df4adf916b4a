// A latency histogram with bounded relative error: values (microseconds) fall into buckets of
// 64 per power of two, so a percentile is off by at most 1/64 of its value. Fixed memory
// (64 * 64 counters) whatever the count; merged across threads by Add(). Not thread-safe.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace diphub::load {

class Histogram {
 public:
  void Record(std::int64_t micros) {
    const std::uint64_t v = micros < 1 ? 1 : static_cast<std::uint64_t>(micros);
    ++counts_[Bucket(v)];
    ++count_;
    if (v > max_) max_ = v;
  }

  void Add(const Histogram& other) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    if (other.max_ > max_) max_ = other.max_;
  }

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }

  // The smallest bucket bound with at least `q` (0..1) of the values at or below it; 0 when
  // empty.
  std::uint64_t Percentile(double q) const {
    if (count_ == 0) return 0;
    const auto want = static_cast<std::uint64_t>(q * static_cast<double>(count_) + 0.5);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= want && seen > 0) return std::min(UpperBound(i), max_);
    }
    return max_;
  }

 private:
  static constexpr unsigned kSubBits = 6;  // 64 buckets per power of two
  static constexpr std::size_t kBuckets = 64 << kSubBits;

  static std::size_t Bucket(std::uint64_t v) {
    if (v < (1u << kSubBits)) return v;  // exact below 64 us
    const unsigned exp = 63 - std::countl_zero(v);
    const std::uint64_t sub = (v >> (exp - kSubBits)) & ((1u << kSubBits) - 1);
    return ((exp - kSubBits + 1) << kSubBits) + sub;
  }
  static std::uint64_t UpperBound(std::size_t bucket) {
    if (bucket < (1u << kSubBits)) return bucket;
    const unsigned exp = static_cast<unsigned>(bucket >> kSubBits) + kSubBits - 1;
    const std::uint64_t sub = bucket & ((1u << kSubBits) - 1);
    return ((std::uint64_t{1} << kSubBits) + sub + 1) << (exp - kSubBits);
  }

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace diphub::load
