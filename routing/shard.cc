#include "routing/shard.h"

namespace diphub::routing {

std::size_t ShardFor(std::string_view key, std::size_t shard_count) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a 64-bit offset basis
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h % shard_count);
}

}  // namespace diphub::routing
