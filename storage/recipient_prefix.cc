#include "storage/recipient_prefix.h"

#include <cstring>

namespace diphub::storage {
namespace {

class RecipientPrefixTransform final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "diphub.RecipientPrefix"; }

  // recipient \0 (the \0 included, so that one recipient's prefix is not another's).
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    // RocksDB asks InDomain first; a key without a \0 is its own prefix all the same.
    const void* nul = std::memchr(key.data(), '\0', key.size());
    if (nul == nullptr) return key;
    return rocksdb::Slice(key.data(), static_cast<const char*>(nul) - key.data() + 1);
  }

  bool InDomain(const rocksdb::Slice& key) const override {
    return !key.empty() && std::memchr(key.data(), '\0', key.size()) != nullptr;
  }
};

}  // namespace

std::shared_ptr<const rocksdb::SliceTransform> RecipientPrefix() {
  static const auto transform = std::make_shared<const RecipientPrefixTransform>();
  return transform;
}

}  // namespace diphub::storage
