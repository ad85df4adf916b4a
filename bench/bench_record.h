// The message record the group-commit benchmarks send: an IF-064 [MDRConsumption] from MDR
// 1200000001 to SDS 1100000001 (primary) with body `raw` and reference `reference`.
#pragma once

#include <string>

#include "storage/records.h"

namespace diphub::bench {

inline storage::MessageRecord BenchRecord(std::string reference, const std::string& raw) {
  storage::MessageRecord m;
  m.interface_id = "IF-064";
  m.event_code = "[MDRConsumption]";
  m.sender_dip_id = "1200000001";
  m.sender_role = "MDR";
  m.sender_unique_reference = std::move(reference);
  m.primary_recipients = {"1100000001"};
  m.recipients = {"1100000001"};
  m.raw = raw;
  return m;
}

}  // namespace diphub::bench
