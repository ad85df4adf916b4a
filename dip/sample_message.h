// Schema-valid sample messages built from the generated catalogue: for any (interface, event)
// of the spec, a {"payload": {...}} whose every field obeys the spec's schema for that event
// (required fields, types, enums, lengths, patterns, bounds, list sizes). Strings that must
// match a pattern are drawn from the pattern's DFA.
//
// Used by the conformance tests (positive test per event, seeds for the differential test
// against valijson) and by the benchmarks; the hub itself does not call it.
// Thread-safety: pure; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dip/catalogue_data.h"

namespace diphub::dip {

struct SampleOptions {
  // Seeds the choices (optional fields, enum values, string contents). Default: 1
  std::uint32_t seed = 1;
  // Share of optional fields included. Default: 0.5
  double optional_share = 0.5;
  // Share of nullable fields sent as null. Default: 0.2
  double null_share = 0.2;
  // Items beyond a list's minItems, at most. Default: 2
  std::uint32_t extra_items = 2;
  // Raw JSON values by path, e.g. {"CommonBlock.S1.senderDIPID", "\"1100000001\""}; array
  // elements are written "List[]". An optional object on the way to a fixed path is included.
  // S0's interfaceID, eventCode and schemaVersion always come from the row.
  std::vector<std::pair<std::string, std::string>> fixed;
  // List sizes by path (e.g. {"CustomBlock.B941List[].MDRConsumptionPeriods", 48}); kept within
  // the list's minItems/maxItems.
  std::vector<std::pair<std::string, std::uint32_t>> list_sizes;
};

// One array element {"payload": {...}} valid for `row`'s variant schema.
std::string SampleMessage(const generated::EventRow& row, const SampleOptions& options);

// The S1 fields the hub's envelope rules need beyond the schema (a DIP timestamp, the
// environment tag, a registered sender), as SampleOptions::fixed entries.
std::vector<std::pair<std::string, std::string>> HubEnvelope(const std::string& sender_dip_id,
                                                             const std::string& sender_role,
                                                             const std::string& environment_tag);

}  // namespace diphub::dip
