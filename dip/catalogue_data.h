// Row types of the catalogue generated from the official DIP spec by tools/gen_catalogue.py.
// Only facts (identifiers, enumerations, code titles) live in the generated file.
#pragma once

#include <cstddef>
#include <cstdint>

namespace diphub::dip::generated {

struct InterfaceRow {
  const char* id;  // "IF-061", "REP-002A"
};

// Bits of EventRow::required_common_blocks.
enum CommonBlockBit : std::uint32_t {
  kS0 = 1,
  kS1 = 2,
  kM0 = 4,
  kM1 = 8,
  kA0 = 16,
  kR0 = 32,
  kD0 = 64,
  kCustomBlock = 128,
};

struct EventRow {
  const char* interface_id;       // "IF-061"
  const char* event_code;         // "[MDRStart]"
  const char* schema_version;     // "011"
  const char* variant;            // the spec's schema name, e.g. "IF-061-Payload"
  std::uint32_t required_blocks;  // CommonBlockBit mask
};

struct CodeRow {
  const char* code;   // "MSG1001"
  const char* title;  // "Schema Failure"
};

extern const InterfaceRow kInterfaces[];
extern const std::size_t kInterfaceCount;
extern const EventRow kEvents[];
extern const std::size_t kEventCount;
extern const CodeRow kCodes[];
extern const std::size_t kCodeCount;

}  // namespace diphub::dip::generated
