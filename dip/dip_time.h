// The DIP's time formats.
//   DT-003 DateTime (25 chars): 2025-08-11T09:30:00+01:00   (S1.senderTimestamp,
//   D0.transactionTimestamp) signature date (UTC, ms):   2025-06-27T14:29:09.061Z
//   (X-DIP-Signature-Date)
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace diphub::dip {

using Clock = std::chrono::system_clock;

// True when `s` is exactly YYYY-MM-DDThh:mm:ss±hh:mm with a real calendar date and time.
bool IsDipTimestamp(std::string_view s);

// Milliseconds since the epoch of a DT-003 timestamp (offset applied), or -1 when invalid.
std::int64_t ParseDipTimestampMs(std::string_view s);

// Milliseconds since the epoch of an X-DIP-Signature-Date ("2025-06-27T14:29:09.061Z", or
// without milliseconds), or -1 when it is not one.
std::int64_t ParseSignatureDateMs(std::string_view s);

// DT-003 in UTC: "2025-08-11T08:30:00+00:00".
std::string FormatDipTimestamp(Clock::time_point t);
// "2025-06-27T14:29:09.061Z".
std::string FormatSignatureDate(Clock::time_point t);
// "20250811" (UTC), the date part of transaction IDs.
std::string FormatYyyymmdd(Clock::time_point t);

}  // namespace diphub::dip
