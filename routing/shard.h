// The one function that names the owner of a key (an MPAN core, or a DIP ID for messages
// without one). Stable across runs and builds: FNV-1a, not std::hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace diphub::routing {

// REQUIRES: shard_count > 0
std::size_t ShardFor(std::string_view key, std::size_t shard_count);

}  // namespace diphub::routing
