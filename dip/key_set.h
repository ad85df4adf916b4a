// The names of one JSON object's fields seen so far, for the rule that a field is given at most
// once per object (#16 item 3). The hub matches field names case-insensitively, so "MPANCore"
// and "mpancore" in one object are one field given twice: a structural failure (MSG1001 naming
// it) rather than a silent choice of one of the two values.
//
// One set per object walked (message_walk.cc's walk of a message, envelope.cc's check of an
// array element that is not a message). Linear over an inline array for the small objects of a
// message (no allocation); past kLinear keys the names go into an ordered set compared
// case-insensitively, so that an object of many keys costs O(n log n) whatever its names: a
// hash set would let crafted names that collide make one object quadratic.
//
// Thread-safety: a value used by one thread. REQUIRES: the views given to Insert outlive the set
// (they point into the parsed body or the parser's string buffer).
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <set>
#include <string_view>

#include "dip/text.h"

namespace diphub::dip {

class KeySet {
 public:
  KeySet() = default;  // leaves keys_ uninitialised: only the first count_ are read
  KeySet(const KeySet&) = delete;
  KeySet& operator=(const KeySet&) = delete;

  // False when `key` (compared case-insensitively) was inserted before.
  bool Insert(std::string_view key) {
    if (many_ == nullptr) {
      for (std::size_t i = 0; i < count_; ++i) {
        if (keys_[i].size == key.size() && EqualsIgnoreCase({keys_[i].data, keys_[i].size}, key)) {
          return false;
        }
      }
      if (count_ < kLinear) {
        keys_[count_++] = {key.data(), key.size()};
        return true;
      }
      many_ = std::make_unique<std::set<std::string_view, LessIgnoreCase>>();
      for (std::size_t i = 0; i < count_; ++i) many_->insert({keys_[i].data, keys_[i].size});
    }
    return many_->insert(key).second;
  }

 private:
  static constexpr std::size_t kLinear = 16;
  struct Key {  // trivial, so that a new set writes nothing here
    const char* data;
    std::size_t size;
  };
  std::array<Key, kLinear> keys_;
  std::size_t count_ = 0;
  struct LessIgnoreCase {
    bool operator()(std::string_view a, std::string_view b) const {
      const std::size_t n = a.size() < b.size() ? a.size() : b.size();
      for (std::size_t i = 0; i < n; ++i) {
        const char x = AsciiLower(a[i]), y = AsciiLower(b[i]);
        if (x != y) return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
      }
      return a.size() < b.size();
    }
  };
  std::unique_ptr<std::set<std::string_view, LessIgnoreCase>> many_;
};

}  // namespace diphub::dip
