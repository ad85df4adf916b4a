// libFuzzer target: the MessageRequest body of the DIP's replay and requeue endpoints
// (POST /dip-channel/IF-061/replay, .../requeue), parsed by ParseMessageRequest.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "broker/delivery_queries.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto q = diphub::broker::ParseMessageRequest(body, "IF-061");
  if (!q.ok()) return 0;
  const auto& v = q.value();
  if (v.transaction_ids.size() > 100 || (v.from_ms && v.to_ms && *v.from_ms > *v.to_ms)) {
    std::fprintf(stderr, "ParseMessageRequest accepted a request it documents as invalid\n");
    std::abort();
  }
  return 0;
}
