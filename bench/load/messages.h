// The messages diphub-load sends: schema-valid IF-064 [MDRConsumption] with one settlement day of
// 48 half-hourly periods (about 3 KB each), from an MDR to the SDS it is paired with.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace diphub::load {

// DIP IDs of the load's participants: pair k (0-based) is SDS "11" and MDR "12" followed by k+1
// in eight digits.
std::string SdsId(std::size_t pair);
std::string MdrId(std::size_t pair);
// The MPAN core of MPAN index i: 13 digits starting "2".
std::string MpanCore(std::uint64_t index);

struct ConsumptionFields {
  std::string_view mdr;    // sender
  std::string_view sds;    // primary recipient
  std::string_view mpan;   // MPAN core
  std::string_view day;    // settlement day "YYYY-MM-DD"
  std::string_view stamp;  // S1.senderTimestamp, a DIP timestamp
  std::uint64_t sequence;  // makes the senderUniqueReference unique; read back on delivery
};

// Appends one array element {"payload": {...}} to `out`.
void AppendConsumption(const ConsumptionFields& f, std::string* out);

// The sequence number in a senderUniqueReference written by AppendConsumption, or -1.
std::int64_t SequenceOfReference(std::string_view reference);

// Calls `fn(sequence)` for every message in a delivered DIPMessageEgressArray body (found by
// their senderUniqueReference); returns how many it found.
template <typename Fn>
std::size_t ForEachDeliveredSequence(std::string_view body, Fn&& fn) {
  constexpr std::string_view kKey = "\"senderUniqueReference\"";
  std::size_t found = 0;
  for (std::size_t at = body.find(kKey); at != std::string_view::npos;
       at = body.find(kKey, at + kKey.size())) {
    const std::size_t open = body.find('"', at + kKey.size());
    if (open == std::string_view::npos) break;
    const std::size_t close = body.find('"', open + 1);
    if (close == std::string_view::npos) break;
    const std::int64_t seq = SequenceOfReference(body.substr(open + 1, close - open - 1));
    if (seq >= 0) {
      fn(static_cast<std::uint64_t>(seq));
      ++found;
    }
  }
  return found;
}

}  // namespace diphub::load
