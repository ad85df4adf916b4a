// A message record for the storage unit tests: seq `seq` from sender 1000000001 to 2000000002
// (primary) and 3000000003, one appointment row, and a small body (or `raw_bytes` bytes).
#pragma once

#include <cstdint>
#include <string>

#include "storage/records.h"

namespace diphub::testing {

inline constexpr const char* kRecordTo1 = "2000000002";
inline constexpr const char* kRecordTo2 = "3000000003";
inline constexpr const char* kRecordSender = "1000000001";

inline storage::MessageRecord SampleRecord(std::uint64_t seq, std::size_t raw_bytes = 0) {
  storage::MessageRecord r;
  r.seq = seq;
  r.transaction_id = "T" + std::to_string(seq);
  r.transaction_timestamp = "2026-12-07T08:00:00.000Z";
  r.accepted_unix_ms = 1700000000000 + static_cast<std::int64_t>(seq);
  r.interface_id = "IF-061";
  r.event_code = "[MDRStart]";
  r.mpan = "1234567890123";
  r.sender_dip_id = kRecordSender;
  r.sender_role = "SUPPLIER";
  r.sender_unique_reference = "ref-" + std::to_string(seq);
  r.primary_recipients = {kRecordTo1};
  r.recipients = {kRecordTo1, kRecordTo2};
  r.appointments = {{1234567890000u + seq, 2, 20000, kRecordTo1}};
  r.raw = raw_bytes == 0 ? R"({"n":)" + std::to_string(seq) + "}" : std::string(raw_bytes, 'x');
  return r;
}

}  // namespace diphub::testing
