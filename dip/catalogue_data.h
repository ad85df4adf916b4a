// Row types of the catalogue generated from the official DIP spec by tools/gen_catalogue.py.
// Only facts (identifiers, enumerations, code titles, field rules) live in the generated files:
// generated/catalogue_data.cc (interfaces, events, codes) and generated/schema_data.cc (the
// flattened message schemas and the spec's patterns compiled to DFAs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

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
  std::uint32_t schema_root;      // kSchemaNodes index of the variant's payload schema
};

// JSON types as bits of SchemaNode::types.
enum TypeBit : std::uint8_t {
  kTypeNull = 1,
  kTypeBoolean = 2,
  kTypeObject = 4,
  kTypeArray = 8,
  kTypeNumber = 16,   // any number
  kTypeInteger = 32,  // a number without fraction or exponent
  kTypeString = 64,
  kTypeAny = 127,
};

// Bits of SchemaNode::bounds.
enum BoundBit : std::uint8_t { kHasMinimum = 1, kHasMaximum = 2, kHasMultipleOf = 4 };

inline constexpr std::uint32_t kNoLimit = 0xFFFFFFFFu;

// One schema of the spec, flattened. Constraints of a kind apply only to values of that kind
// (JSON Schema semantics): a string's length and pattern, an object's properties, an array's
// items. `nullable: true` is folded into `types` as kTypeNull. Node 0 accepts anything.
struct SchemaNode {
  std::uint8_t types;            // TypeBit mask of the accepted JSON types
  bool closed;                   // additionalProperties: false
  std::uint8_t bounds;           // BoundBit mask
  std::int16_t pattern;          // kPatterns index, or -1
  std::uint32_t min_length;      // in code points
  std::uint32_t max_length;      // kNoLimit when unbounded
  std::uint32_t min_items;       //
  std::uint32_t max_items;       // kNoLimit when unbounded
  std::uint32_t first_property;  // kProperties[first_property, +property_count)
  std::uint32_t property_count;  //
  std::uint32_t first_enum;      // kEnumValues[first_enum, +enum_count); none when 0
  std::uint32_t enum_count;      //
  std::uint32_t items;           // node of each array element (0: anything)
  double minimum, maximum, multiple_of;
};

struct PropertyRow {
  std::string_view name;  // as the spec spells it; matched case-insensitively
  std::uint32_t node;
  bool required;
};

// A spec pattern compiled to a DFA over bytes: state = next[state * class_count +
// byte_class[b]]; state 0 is dead; the value matches when accept[final state] is 1.
struct PatternRow {
  const char* source;  // the regex as the spec writes it, for help texts
  const std::uint8_t* byte_class;
  const std::uint16_t* next;
  const std::uint8_t* accept;
  std::uint32_t class_count;
  std::uint32_t state_count;
  std::uint32_t start;
};

// One POST /validate/{IF}/{EventCode} path of the spec (SubmitEvents), with the schema its
// request body names for the payload: the event's own variant, or nullptr when the path names
// the interface's whole oneOf ("IF-019-Payload").
struct ValidatePathRow {
  const char* interface_id;  // "IF-020"
  const char* event_code;    // "[RelatedAdd]"
  const char* variant;       // "IF-020-RelatedAdd", or nullptr
};

struct CodeRow {
  const char* code;   // "MSG1001"
  const char* title;  // "Schema Failure"
};

extern const InterfaceRow kInterfaces[];
extern const std::size_t kInterfaceCount;
extern const EventRow kEvents[];
extern const std::size_t kEventCount;
extern const ValidatePathRow kValidatePaths[];
extern const std::size_t kValidatePathCount;
extern const CodeRow kCodes[];
extern const std::size_t kCodeCount;
extern const SchemaNode kSchemaNodes[];
extern const std::size_t kSchemaNodeCount;
extern const PropertyRow kProperties[];
extern const std::size_t kPropertyCount;
extern const std::string_view kEnumValues[];  // a null data() stands for JSON null
extern const std::size_t kEnumValueCount;
// Same length as kEnumValues: for each node with an enum, kEnumSorted[first_enum, +enum_count)
// holds the kEnumValues indices of its values in byte order, nulls first.
extern const std::uint32_t kEnumSorted[];
extern const PatternRow kPatterns[];
extern const std::size_t kPatternCount;

}  // namespace diphub::dip::generated
