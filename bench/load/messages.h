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

// The offset of the first "senderUniqueReference" key in `body` at or after `from`, or npos
// (memmem: a JSON text has a '"' every few bytes, which string_view::find stops at each time).
std::size_t FindReferenceKey(std::string_view body, std::size_t from);
inline constexpr std::string_view kReferenceKey = "\"senderUniqueReference\"";

// The sequence number of the senderUniqueReference whose key starts at `at` in `body`, or -1;
// `*end` is set past its value.
std::int64_t SequenceAtKey(std::string_view body, std::size_t at, std::size_t* end);

// Calls `fn(sequence)` for every message in a delivered DIPMessageEgressArray body (found by
// their senderUniqueReference); returns how many it found.
template <typename Fn>
std::size_t ForEachDeliveredSequence(std::string_view body, Fn&& fn) {
  std::size_t found = 0, end = 0;
  for (std::size_t at = FindReferenceKey(body, 0); at != std::string_view::npos;
       at = FindReferenceKey(body, end)) {
    const std::int64_t seq = SequenceAtKey(body, at, &end);
    if (end == std::string_view::npos) break;
    if (seq >= 0) {
      fn(static_cast<std::uint64_t>(seq));
      ++found;
    }
  }
  return found;
}

// The sequence number of one delivered message (its first senderUniqueReference), or -1.
std::int64_t DeliveredSequence(std::string_view message);

}  // namespace diphub::load
