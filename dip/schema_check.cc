#include "dip/schema_check.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "dip/catalogue.h"
#include "dip/catalogue_data.h"
#include "dip/codes.h"
#include "dip/envelope.h"
#include "dip/json_type.h"
#include "dip/text.h"

namespace diphub::dip {
namespace od = simdjson::ondemand;
namespace gen = generated;
namespace {

// Fields of the common blocks whose failures carry a code of their own.
struct FieldCode {
  std::string_view block, field, code;
};
constexpr FieldCode kFieldCodes[] = {
    {"S0", "interfaceID", codes::kInterfaceInvalid},
    {"S1", "senderTimestamp", codes::kTimestampInvalid},
    {"S1", "senderDIPID", codes::kSenderInvalid},
    {"S1", "senderRoleID", codes::kRoleInvalid},
    {"S1", "DIPConnectionProviderID", codes::kConnectionProviderInvalid},
    {"S1", "senderCorrelationID", codes::kCorrelationInvalid},
    {"A0", "primaryRecipients", codes::kPrimaryRecipientInvalid},
    {"A0", "secondaryRecipients", codes::kSecondaryRecipientInvalid},
    {"A0", "always", codes::kAlwaysRecipientInvalid},
};

std::string TypeList(std::uint8_t types) {
  static constexpr std::pair<std::uint8_t, std::string_view> kNames[] = {
      {gen::kTypeObject, "an object"},   {gen::kTypeArray, "an array"},
      {gen::kTypeString, "a string"},    {gen::kTypeNumber, "a number"},
      {gen::kTypeInteger, "an integer"}, {gen::kTypeBoolean, "a boolean"},
      {gen::kTypeNull, "null"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((types & bit) == 0) continue;
    if (!out.empty()) out += " or ";
    out += name;
  }
  return out;
}

// A value for a help text: quoted, shortened, control characters shown as '?'.
std::string Shown(std::string_view s) {
  constexpr std::size_t kMax = 80;
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    out += c < 0x20 ? '?' : static_cast<char>(c);
  }
  if (s.size() > kMax) out += "...";
  return out + "\"";
}

std::string Number(double d) {
  if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
  std::string s = std::to_string(d);
  while (!s.empty() && s.back() == '0') s.pop_back();
  return s;
}

// Code points of UTF-8 text (JSON Schema lengths count characters, not bytes).
// Counts the bytes that start a character (all but 10xxxxxx), eight at a time.
std::size_t CodePoints(std::string_view s) {
  std::size_t continuation = 0, i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    // Bit 7 of each byte set and bit 6 clear.
    continuation +=
        static_cast<std::size_t>(std::popcount(w & ~(w << 1) & std::uint64_t{0x8080808080808080}));
  }
  for (; i < s.size(); ++i) {
    continuation += (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80;
  }
  return s.size() - continuation;
}

bool Matches(const gen::PatternRow& p, std::string_view s) {
  std::uint32_t state = p.start;
  for (unsigned char c : s) {
    state = p.next[state * p.class_count + p.byte_class[c]];
    if (state == 0) return false;
  }
  return p.accept[state] != 0;
}

// Walks one message against a schema node. The walk stops at the first rule broken; the
// failure is kept in error() (the walk itself returns only whether it went on, so the common
// case builds no Status per value).
class Walker {
 public:
  bool Payload(od::value v, std::uint32_t root) { return Walk(v, root); }
  Status TakeError() { return std::move(error_); }

 private:
  struct Segment {
    std::string_view name;
    std::size_t index;
    bool is_index;
  };

  // Pushes a path segment for the help texts (depth is bounded by the spec's schemas, and
  // input deeper than kMaxJsonDepth was refused by the envelope parser).
  void Push(std::string_view name) { path_[depth_++] = {name, 0, false}; }
  void Pop() { --depth_; }

  bool Fail(std::string_view rule) {
    std::string where;
    std::size_t first = 0;
    // "CommonBlock.S1.x" reads as "S1.x", the DIP's own way of naming common-block fields.
    if (depth_ > 1 && !path_[0].is_index && EqualsIgnoreCase(path_[0].name, "CommonBlock")) {
      first = 1;
    }
    for (std::size_t i = first; i < depth_; ++i) {
      if (path_[i].is_index) {
        where += "[" + std::to_string(path_[i].index) + "]";
      } else {
        if (!where.empty()) where += ".";
        where += path_[i].name;
      }
    }
    if (where.empty()) where = "payload";
    std::string_view code = codes::kSchemaFailure;
    if (depth_ >= 3 && EqualsIgnoreCase(path_[0].name, "CommonBlock")) {
      for (const FieldCode& fc : kFieldCodes) {
        if (path_[1].name == fc.block && path_[2].name == fc.field) code = fc.code;
      }
    }
    error_ = Status::Dip(code, where + ": " + std::string(rule));
    return false;
  }

  bool Malformed(simdjson::error_code e) {
    return Fail(std::string("malformed JSON (") + simdjson::error_message(e) + ")");
  }

  bool WrongType(const gen::SchemaNode& n, std::string_view got) {
    return Fail("expected " + TypeList(n.types) + ", got " + std::string(got));
  }

  bool EnumFailure(const gen::SchemaNode& n, std::string got) {
    std::string allowed;
    for (std::uint32_t i = 0; i < n.enum_count; ++i) {
      if (i == 12) {
        allowed += ", ...";
        break;
      }
      std::string_view e = gen::kEnumValues[n.first_enum + i];
      if (i > 0) allowed += ", ";
      allowed += e.data() == nullptr ? std::string("null") : Shown(e);
    }
    return Fail("expected one of " + allowed + ", got " + got);
  }

  static bool InEnum(const gen::SchemaNode& n, const std::string_view* s) {
    if (s == nullptr) {
      for (std::uint32_t i = 0; i < n.enum_count; ++i) {
        if (gen::kEnumValues[n.first_enum + i].data() == nullptr) return true;
      }
      return false;
    }
    // kEnumSorted lists the node's values in byte order, nulls first: a binary search.
    const std::uint32_t* first = gen::kEnumSorted + n.first_enum;
    const std::uint32_t* last = first + n.enum_count;
    const std::uint32_t* it = std::lower_bound(first, last, *s, [](std::uint32_t i, auto v) {
      std::string_view e = gen::kEnumValues[i];
      return e.data() == nullptr || e < v;
    });
    return it != last && gen::kEnumValues[*it] == *s;
  }

  bool Walk(od::value v, std::uint32_t index) {
    const gen::SchemaNode& n = gen::kSchemaNodes[index];
    od::json_type t;
    if (auto e = v.type().get(t)) return Malformed(e);
    switch (t) {
      case od::json_type::null: {
        if ((n.types & gen::kTypeNull) == 0) return WrongType(n, "null");
        if (n.enum_count != 0 && !InEnum(n, nullptr)) return EnumFailure(n, "null");
        return true;
      }
      case od::json_type::boolean: {
        bool b = false;
        if (auto e = v.get_bool().get(b)) return Malformed(e);
        if ((n.types & gen::kTypeBoolean) == 0) return WrongType(n, b ? "true" : "false");
        if (n.enum_count != 0) return EnumFailure(n, b ? "true" : "false");
        return true;
      }
      case od::json_type::string: {
        std::string_view s;
        if (auto e = StringOf(v, &s)) return Malformed(e);
        if ((n.types & gen::kTypeString) == 0) return WrongType(n, "a string " + Shown(s));
        return String(n, s);
      }
      case od::json_type::number:
        return NumberValue(v, n);
      case od::json_type::object:
        if ((n.types & gen::kTypeObject) == 0) return WrongType(n, "an object");
        return Object(v, n);
      case od::json_type::array:
        if ((n.types & gen::kTypeArray) == 0) return WrongType(n, "an array");
        return Array(v, n);
    }
    return WrongType(n, JsonTypeName(t));
  }

  bool String(const gen::SchemaNode& n, std::string_view s) {
    if (n.enum_count != 0 && !InEnum(n, &s)) return EnumFailure(n, Shown(s));
    if (n.min_length != 0 || n.max_length != gen::kNoLimit) {
      std::size_t len = CodePoints(s);
      if (len < n.min_length || len > n.max_length) {
        std::string rule;
        if (n.min_length == n.max_length) {
          rule = "a string of " + std::to_string(n.min_length) + " characters";
        } else if (n.max_length == gen::kNoLimit) {
          rule = "a string of at least " + std::to_string(n.min_length) + " characters";
        } else if (n.min_length == 0) {
          rule = "a string of at most " + std::to_string(n.max_length) + " characters";
        } else {
          rule = "a string of " + std::to_string(n.min_length) + " to " +
                 std::to_string(n.max_length) + " characters";
        }
        return Fail("expected " + rule + ", got " + Shown(s) + " (" + std::to_string(len) + ")");
      }
    }
    if (n.pattern >= 0) {
      const gen::PatternRow& p = gen::kPatterns[n.pattern];
      if (!Matches(p, s)) {
        return Fail("expected a value matching " + std::string(p.source) + ", got " + Shown(s));
      }
    }
    return true;
  }

  bool NumberValue(od::value v, const gen::SchemaNode& n) {
    od::number num;
    if (auto e = v.get_number().get(num)) return Malformed(e);
    bool integer = !num.is_double();
    double d = num.as_double();
    bool type_ok = (n.types & gen::kTypeNumber) != 0 || (integer && (n.types & gen::kTypeInteger));
    if (!type_ok) return WrongType(n, integer ? "an integer" : "a number with a fraction");
    if (n.enum_count != 0) return EnumFailure(n, Number(d));
    if ((n.bounds & gen::kHasMinimum) != 0 && d < n.minimum) {
      return Fail("expected at least " + Number(n.minimum) + ", got " + Number(d));
    }
    if ((n.bounds & gen::kHasMaximum) != 0 && d > n.maximum) {
      return Fail("expected at most " + Number(n.maximum) + ", got " + Number(d));
    }
    if ((n.bounds & gen::kHasMultipleOf) != 0 && d != 0) {
      double q = d / n.multiple_of;
      if (std::fabs(q - std::round(q)) > 1e-9 * std::fmax(1.0, std::fabs(q))) {
        return Fail("expected a multiple of " + Number(n.multiple_of) + ", got " + Number(d));
      }
    }
    return true;
  }

  bool Object(od::value v, const gen::SchemaNode& n) {
    od::object o;
    if (auto e = v.get_object().get(o)) return Malformed(e);
    // Which properties were seen: the spec's objects have at most a few dozen.
    std::array<std::uint64_t, 4> seen{};
    if (n.property_count > seen.size() * 64) return Fail("schema too wide for the walker");
    const gen::PropertyRow* props = gen::kProperties + n.first_property;
    for (auto field : o) {
      od::field f;
      if (auto e = std::move(field).get(f)) return Malformed(e);
      std::string_view key;
      if (auto e = KeyOf(f, &key)) return Malformed(e);
      std::uint32_t i = 0;
      while (i < n.property_count && !EqualsIgnoreCase(props[i].name, key)) ++i;
      if (i == n.property_count) {
        if (!n.closed) continue;  // On-Demand skips the value; its syntax was checked on parse
        Push(key);
        Fail("unexpected field (not in the DIP schema)");
        Pop();
        return false;
      }
      Push(props[i].name);
      std::uint64_t bit = std::uint64_t{1} << (i % 64);
      if ((seen[i / 64] & bit) != 0) {
        Fail("field appears more than once (names match case-insensitively)");
        Pop();
        return false;
      }
      seen[i / 64] |= bit;
      bool ok = Walk(f.value(), props[i].node);
      Pop();
      if (!ok) return false;
    }
    for (std::uint32_t i = 0; i < n.property_count; ++i) {
      if (props[i].required && (seen[i / 64] & (std::uint64_t{1} << (i % 64))) == 0) {
        Push(props[i].name);
        Fail("required field missing");
        Pop();
        return false;
      }
    }
    return true;
  }

  bool Array(od::value v, const gen::SchemaNode& n) {
    od::array a;
    if (auto e = v.get_array().get(a)) return Malformed(e);
    std::size_t count = 0;
    for (auto element : a) {
      od::value ev;
      if (auto e = std::move(element).get(ev)) return Malformed(e);
      path_[depth_++] = {{}, count, true};
      bool ok = Walk(ev, n.items);
      --depth_;
      if (!ok) return false;
      ++count;
    }
    if (count < n.min_items || count > n.max_items) {
      std::string rule = n.max_items == gen::kNoLimit
                             ? "at least " + std::to_string(n.min_items)
                             : (n.min_items == 0 ? "at most " + std::to_string(n.max_items)
                                                 : std::to_string(n.min_items) + " to " +
                                                       std::to_string(n.max_items));
      return Fail("expected " + rule + " items, got " + std::to_string(count));
    }
    return true;
  }

  std::array<Segment, kMaxJsonDepth + 8> path_{};
  std::size_t depth_ = 0;
  Status error_;
};

// Walks `message` against one variant's schema.
Status CheckVariant(std::string_view message, std::uint32_t root) {
  thread_local std::string buffer;
  buffer.reserve(message.size() + simdjson::SIMDJSON_PADDING);
  buffer.assign(message);
  thread_local od::parser parser;
  od::document doc;
  auto malformed = [](simdjson::error_code e) {
    return Status::Dip(codes::kSchemaFailure,
                       std::string("payload: malformed JSON (") + simdjson::error_message(e) + ")");
  };
  if (auto e = parser.iterate(buffer.data(), buffer.size(), buffer.capacity()).get(doc)) {
    return malformed(e);
  }
  od::object item;
  if (auto e = doc.get_object().get(item)) return malformed(e);
  for (auto field : item) {
    od::field f;
    if (auto e = std::move(field).get(f)) return malformed(e);
    std::string_view key;
    if (auto e = f.unescaped_key().get(key)) return malformed(e);
    if (!EqualsIgnoreCase(key, "payload")) continue;
    Walker walker;
    if (walker.Payload(f.value(), root)) return Status::Ok();
    return walker.TakeError();
  }
  return Status::Dip(codes::kSchemaFailure, "payload: required field missing");
}

}  // namespace

Status CheckMessageSchema(std::string_view message, std::string_view interface_id,
                          std::string_view event_code) {
  // The variants of the interface that list the event (usually one; see the header).
  std::array<std::uint32_t, 8> roots{};
  std::array<const char*, 8> names{};
  std::size_t count = 0;
  for (std::uint32_t i : FindEventRows(interface_id, event_code)) {
    if (count == roots.size()) break;
    const gen::EventRow& row = gen::kEvents[i];
    bool known = false;
    for (std::size_t j = 0; j < count; ++j) known = known || roots[j] == row.schema_root;
    if (known) continue;
    names[count] = row.variant;
    roots[count++] = row.schema_root;
  }
  if (count == 0) {
    return Status::Dip(codes::kSchemaFailure, "S0.eventCode: \"" + std::string(event_code) +
                                                  "\" is not an event of " +
                                                  std::string(interface_id));
  }
  if (count == 1) return CheckVariant(message, roots[0]);
  // An event listed in several variants: the spec's /validate path for it names the event's own
  // schema, which is the one S0.eventCode selects.
  if (const char* own = OwnVariant(interface_id, event_code)) {
    for (std::size_t i = 0; i < count; ++i) {
      if (std::string_view(names[i]) == own) return CheckVariant(message, roots[i]);
    }
  }
  Status first;
  std::string matched;
  std::size_t matches = 0;
  for (std::size_t i = 0; i < count; ++i) {
    Status s = CheckVariant(message, roots[i]);
    if (s.ok()) {
      ++matches;
      matched += (matched.empty() ? "" : ", ") + std::string(names[i]);
    } else if (first.ok()) {
      first = s;
    }
  }
  if (matches == 1) return Status::Ok();
  if (matches == 0) return first;
  return Status::Dip(codes::kSchemaFailure,
                     "payload: matches more than one of the spec's schemas for " +
                         std::string(event_code) + " (" + matched +
                         "), and the spec's oneOf allows exactly one");
}

}  // namespace diphub::dip
