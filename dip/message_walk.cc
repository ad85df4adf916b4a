#include "dip/message_walk.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <string>

#include "dip/catalogue.h"
#include "dip/catalogue_data.h"
#include "dip/codes.h"
#include "dip/json_type.h"
#include "dip/key_set.h"
#include "dip/pattern_match.h"
#include "dip/text.h"

namespace diphub::dip {
namespace od = simdjson::ondemand;
namespace gen = generated;
namespace {

// Fields of the common blocks whose schema failures carry a code of their own.
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

// Byte comparisons inline: enum values are a few bytes, shorter than a call to memcmp.
bool SameBytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// a < b in byte order (unsigned bytes, a prefix first), as std::string_view compares.
bool ByteLess(std::string_view a, std::string_view b) {
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
  }
  return a.size() < b.size();
}

bool InEnum(const gen::SchemaNode& n, const std::string_view* s) {
  if (s == nullptr) {
    for (std::uint32_t i = 0; i < n.enum_count; ++i) {
      if (gen::kEnumValues[n.first_enum + i].data() == nullptr) return true;
    }
    return false;
  }
  // A short list is scanned (an inline compare of a few bytes beats the calls of a search).
  if (n.enum_count <= 8) {
    for (std::uint32_t i = 0; i < n.enum_count; ++i) {
      std::string_view e = gen::kEnumValues[n.first_enum + i];
      if (e.data() != nullptr && SameBytes(e, *s)) return true;
    }
    return false;
  }
  // kEnumSorted lists the node's values in byte order, nulls first: a binary search.
  const std::uint32_t* first = gen::kEnumSorted + n.first_enum;
  const std::uint32_t* last = first + n.enum_count;
  const std::uint32_t* it = std::lower_bound(first, last, *s, [](std::uint32_t i, auto v) {
    std::string_view e = gen::kEnumValues[i];
    return e.data() == nullptr || ByteLess(e, v);
  });
  return it != last && SameBytes(gen::kEnumValues[*it], *s);
}

// Where a structural failure is reported: "CustomBlock", "S1.senderDIPID",
// "A0.primaryRecipients[3]". Built into text only on failure.
struct Where {
  Where(std::string_view first) : a(first) {}  // NOLINT(google-explicit-constructor)
  Where(std::string_view first, std::string_view second, std::int64_t i = -1)
      : a(first), b(second), index(i) {}

  std::string_view a, b;
  std::int64_t index = -1;

  std::string Text() const {
    std::string out(a);
    if (!b.empty()) out.append(".").append(b);
    if (index >= 0) out += "[" + std::to_string(index) + "]";
    return out;
  }
};

// A block of string fields of the common block, and where its values go.
struct FieldSlot {
  std::string_view name;
  StrField Envelope::*target;
};
constexpr FieldSlot kS0Slots[] = {{"interfaceID", &Envelope::interface_id},
                                  {"schemaVersion", &Envelope::schema_version},
                                  {"eventCode", &Envelope::event_code}};
constexpr FieldSlot kS1Slots[] = {{"environmentTag", &Envelope::environment_tag},
                                  {"subText", &Envelope::sub_text},
                                  {"senderUniqueReference", &Envelope::sender_unique_reference},
                                  {"senderTimestamp", &Envelope::sender_timestamp},
                                  {"senderDIPID", &Envelope::sender_dip_id},
                                  {"senderRoleID", &Envelope::sender_role_id},
                                  {"senderCorrelationID", &Envelope::sender_correlation_id},
                                  {"DIPConnectionProviderID", &Envelope::connection_provider_id}};
constexpr FieldSlot kM0Slots[] = {{"MPANCore", &Envelope::mpan_core},
                                  {"distributorDIPID", &Envelope::distributor_dip_id}};
constexpr FieldSlot kR0Slots[] = {{"responseCode", &Envelope::response_code}};

// The walk. Every function returns false when the walk stops (a structural failure, kept in
// structure_); a schema failure is kept in schema_ and turns the schema rules off.
class Walker {
 public:
  Walker(Envelope* env, bool envelope_rules) : env_(env), envelope_(envelope_rules) {}

  void Item(od::object item, std::uint32_t root) {
    bool has_payload = false;
    for (auto field : item) {
      od::field f;
      if (auto e = std::move(field).get(f)) return (void)Malformed({"message"}, e);
      std::string_view key;
      if (auto e = KeyOf(f, &key)) return (void)Malformed({"message"}, e);
      if (!EqualsIgnoreCase(key, "payload")) {
        if (!envelope_) continue;
        return (void)Structure({key}, "unexpected field; a message holds only \"payload\"");
      }
      if (has_payload) return (void)Structure({"payload"}, "field appears more than once");
      has_payload = true;
      if (!Payload(f.value(), root)) return;
      if (!envelope_) return;  // a plain schema check walks the first "payload" only
    }
    if (!has_payload) {
      if (!envelope_) return (void)SchemaFail("required field missing");
      Structure({"payload"}, "required field missing");
    }
  }

  WalkResult Take() { return {std::move(structure_), std::move(schema_)}; }

 private:
  // ---- failures ----

  [[gnu::cold, gnu::noinline]] bool Structure(const Where& where, std::string_view rule) {
    structure_ = Status::Dip(codes::kSchemaFailure, where.Text() + ": " + std::string(rule));
    return false;
  }

  // A key given twice in one object (KeySet): "where.key: field appears more than once".
  [[gnu::cold, gnu::noinline]] bool Repeated(const Where& where, std::string_view key) {
    std::string text = where.Text();
    if (!text.empty()) text += ".";
    text.append(key).append(": field appears more than once");
    structure_ = Status::Dip(codes::kSchemaFailure, std::move(text));
    return false;
  }

  // The same for a block of the payload or of CommonBlock: "key: block appears more than once".
  [[gnu::cold, gnu::noinline]] bool RepeatedBlock(std::string_view key) {
    return Structure({key}, "block appears more than once");
  }

  [[gnu::cold, gnu::noinline]] bool Malformed(const Where& where, simdjson::error_code e) {
    if (!envelope_) {
      // A plain schema check names the schema path, as the walk did before it had envelope
      // rules.
      SchemaFail(std::string("malformed JSON (") + simdjson::error_message(e) + ")");
      structure_ = schema_;
      return false;
    }
    return Structure(where, std::string("malformed JSON (") + simdjson::error_message(e) + ")");
  }

  bool On(std::uint32_t node) const { return node != kNoSchema && schema_.ok(); }

  void Push(std::string_view name) { path_[depth_++] = {name, 0, false}; }
  void PushIndex(std::size_t i) { path_[depth_++] = {{}, i, true}; }
  void Pop() { --depth_; }

  // Records the first schema failure at the current path; the schema rules are off after it.
  [[gnu::cold, gnu::noinline]] void SchemaFail(std::string_view rule) {
    if (!schema_.ok()) return;
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
    schema_ = Status::Dip(code, where + ": " + std::string(rule));
  }

  [[gnu::cold, gnu::noinline]] void WrongType(const gen::SchemaNode& n, std::string_view got) {
    SchemaFail("expected " + TypeList(n.types) + ", got " + std::string(got));
  }

  [[gnu::cold, gnu::noinline]] void EnumFailure(const gen::SchemaNode& n, const std::string& got) {
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
    SchemaFail("expected one of " + allowed + ", got " + got);
  }

  // ---- schema rules on one value ----

  void SchemaString(std::uint32_t node, std::string_view s) {
    if (!On(node)) return;
    const gen::SchemaNode& n = gen::kSchemaNodes[node];
    if ((n.types & gen::kTypeString) == 0) return WrongType(n, "a string " + Shown(s));
    if (n.enum_count != 0 && !InEnum(n, &s)) return EnumFailure(n, Shown(s));
    if (n.min_length != 0 || n.max_length != gen::kNoLimit) {
      std::size_t len = CodePoints(s);
      if (len < n.min_length || len > n.max_length) return LengthFailure(n, s, len);
    }
    if (n.pattern >= 0 && !MatchesPattern(n.pattern, s)) PatternFailure(n, s);
  }

  // The failures of SchemaString, out of its way (their text building needs a large frame).
  [[gnu::cold, gnu::noinline]] void LengthFailure(const gen::SchemaNode& n, std::string_view s,
                                                  std::size_t len) {
    std::string rule;
    if (n.min_length == n.max_length) {
      rule = "a string of " + std::to_string(n.min_length) + " characters";
    } else if (n.max_length == gen::kNoLimit) {
      rule = "a string of at least " + std::to_string(n.min_length) + " characters";
    } else if (n.min_length == 0) {
      rule = "a string of at most " + std::to_string(n.max_length) + " characters";
    } else {
      rule = "a string of " + std::to_string(n.min_length) + " to " + std::to_string(n.max_length) +
             " characters";
    }
    SchemaFail("expected " + rule + ", got " + Shown(s) + " (" + std::to_string(len) + ")");
  }

  [[gnu::cold, gnu::noinline]] void PatternFailure(const gen::SchemaNode& n, std::string_view s) {
    SchemaFail("expected a value matching " + std::string(gen::kPatterns[n.pattern].source) +
               ", got " + Shown(s));
  }

  void SchemaNumber(std::uint32_t node, od::number num) {
    if (!On(node)) return;
    const gen::SchemaNode& n = gen::kSchemaNodes[node];
    bool integer = !num.is_double();
    double d = num.as_double();
    bool type_ok = (n.types & gen::kTypeNumber) != 0 || (integer && (n.types & gen::kTypeInteger));
    if (!type_ok) return WrongType(n, integer ? "an integer" : "a number with a fraction");
    if (n.enum_count != 0) return EnumFailure(n, Number(d));
    if ((n.bounds & gen::kHasMinimum) != 0 && d < n.minimum) {
      return SchemaFail("expected at least " + Number(n.minimum) + ", got " + Number(d));
    }
    if ((n.bounds & gen::kHasMaximum) != 0 && d > n.maximum) {
      return SchemaFail("expected at most " + Number(n.maximum) + ", got " + Number(d));
    }
    if ((n.bounds & gen::kHasMultipleOf) != 0 && d != 0) {
      double q = d / n.multiple_of;
      if (std::fabs(q - std::round(q)) > 1e-9 * std::fmax(1.0, std::fabs(q))) {
        SchemaFail("expected a multiple of " + Number(n.multiple_of) + ", got " + Number(d));
      }
    }
  }

  // The node's type check for an object or array value; the node itself when it holds, else
  // kNoSchema (after recording the failure).
  std::uint32_t Container(std::uint32_t node, std::uint8_t bit, std::string_view got) {
    if (!On(node)) return kNoSchema;
    const gen::SchemaNode& n = gen::kSchemaNodes[node];
    if ((n.types & bit) == 0) {
      WrongType(n, got);
      return kNoSchema;
    }
    return node;
  }

  // Matches an object's field against the node's properties: its schema node (kNoSchema when
  // none or after a failure); `*pushed` when the property's name was pushed on the path.
  // `next` is where the next field's name is looked for first: the property after the last one
  // matched, since a message lists an object's fields mostly in the spec's order. The names of
  // one node's properties differ case-insensitively (catalogue_test checks the generated
  // tables), so where the search starts does not change which property a key matches.
  struct Seen {
    std::array<std::uint64_t, 4> bits{};
    std::uint32_t next = 0;
  };
  std::uint32_t Property(std::uint32_t node, std::string_view key, Seen* seen, bool* pushed) {
    *pushed = false;
    if (!On(node)) return kNoSchema;
    const gen::SchemaNode& n = gen::kSchemaNodes[node];
    const gen::PropertyRow* props = gen::kProperties + n.first_property;
    const std::uint32_t count = n.property_count;
    std::uint32_t i = seen->next < count ? seen->next : 0;
    std::uint32_t tried = 0;
    while (tried < count && !EqualsIgnoreCase(props[i].name, key)) {
      ++tried;
      i = i + 1 == count ? 0 : i + 1;
    }
    if (tried == count) {
      if (n.closed) UnknownField(key);
      return kNoSchema;
    }
    seen->next = i + 1;
    Push(props[i].name);
    std::uint64_t bit = std::uint64_t{1} << (i % 64);
    if ((seen->bits[i / 64] & bit) != 0) {
      SchemaFail("field appears more than once (names match case-insensitively)");
      Pop();
      return kNoSchema;
    }
    seen->bits[i / 64] |= bit;
    *pushed = true;
    return props[i].node;
  }

  [[gnu::cold, gnu::noinline]] void UnknownField(std::string_view key) {
    Push(key);
    SchemaFail("unexpected field (not in the DIP schema)");
    Pop();
  }

  void TooWide(std::uint32_t node) {
    if (On(node) && gen::kSchemaNodes[node].property_count > Seen{}.bits.size() * 64) {
      SchemaFail("schema too wide for the walker");
    }
  }

  void Required(std::uint32_t node, const Seen& seen) {
    if (!On(node)) return;
    const gen::SchemaNode& n = gen::kSchemaNodes[node];
    const gen::PropertyRow* props = gen::kProperties + n.first_property;
    for (std::uint32_t i = 0; i < n.property_count; ++i) {
      if (props[i].required && (seen.bits[i / 64] & (std::uint64_t{1} << (i % 64))) == 0) {
        Push(props[i].name);
        SchemaFail("required field missing");
        Pop();
        return;
      }
    }
  }

  void ItemCount(std::uint32_t node, std::size_t count) {
    if (!On(node)) return;
    const gen::SchemaNode& n = gen::kSchemaNodes[node];
    if (count < n.min_items || count > n.max_items) {
      std::string rule = n.max_items == gen::kNoLimit
                             ? "at least " + std::to_string(n.min_items)
                             : (n.min_items == 0 ? "at most " + std::to_string(n.max_items)
                                                 : std::to_string(n.min_items) + " to " +
                                                       std::to_string(n.max_items));
      SchemaFail("expected " + rule + " items, got " + std::to_string(count));
    }
  }

  std::uint32_t Items(std::uint32_t node) const {
    return On(node) ? gen::kSchemaNodes[node].items : kNoSchema;
  }

  // ---- values ----

  // Any value: well-formed to its end, nested at most kMaxJsonDepth below `where` (depth is
  // counted from where the envelope rules hand the value over), and against `node`.
  bool Value(od::value v, std::uint32_t node, const Where& where, int depth) {
    // A plain schema check leaves what no schema rule looks at to On-Demand's skip.
    if (!envelope_ && !On(node)) return true;
    if (envelope_ && depth > kMaxJsonDepth) return Structure(where, "JSON nested too deeply");
    od::json_type t;
    if (auto e = v.type().get(t)) return Malformed(where, e);
    switch (t) {
      case od::json_type::object:
        return Object(v, node, where, depth);
      case od::json_type::array:
        return Array(v, node, where, depth);
      case od::json_type::string: {
        std::string_view s;
        if (auto e = StringOf(v, &s)) return Malformed(where, e);
        SchemaString(node, s);
        return true;
      }
      case od::json_type::number: {
        od::number num;
        if (auto e = v.get_number().get(num)) return Malformed(where, e);
        SchemaNumber(node, num);
        return true;
      }
      case od::json_type::boolean: {
        bool b = false;
        if (auto e = v.get_bool().get(b)) return Malformed(where, e);
        if (On(node)) {
          const gen::SchemaNode& n = gen::kSchemaNodes[node];
          if ((n.types & gen::kTypeBoolean) == 0) {
            WrongType(n, b ? "true" : "false");
          } else if (n.enum_count != 0) {
            EnumFailure(n, b ? "true" : "false");
          }
        }
        return true;
      }
      case od::json_type::null: {
        bool is_null = false;
        if (auto e = v.is_null().get(is_null); e || !is_null) {
          return Malformed(where, e ? e : simdjson::N_ATOM_ERROR);
        }
        if (On(node)) {
          const gen::SchemaNode& n = gen::kSchemaNodes[node];
          if ((n.types & gen::kTypeNull) == 0) {
            WrongType(n, "null");
          } else if (n.enum_count != 0 && !InEnum(n, nullptr)) {
            EnumFailure(n, "null");
          }
        }
        return true;
      }
    }
    return true;
  }

  // The object and array cases of Value, apart so that the frame of Value (called for every
  // scalar) stays small.
  [[gnu::noinline]] bool Object(od::value v, std::uint32_t node, const Where& where, int depth) {
    std::uint32_t n = Container(node, gen::kTypeObject, "an object");
    od::object o;
    if (auto e = v.get_object().get(o)) return Malformed(where, e);
    Seen seen;
    TooWide(n);
    KeySet keys;
    for (auto field : o) {
      od::field f;
      if (auto e = std::move(field).get(f)) return Malformed(where, e);
      std::string_view key;
      if (auto e = KeyOf(f, &key)) return Malformed(where, e);
      if (envelope_ && !keys.Insert(key)) return Repeated(where, key);
      bool pushed;
      std::uint32_t child = Property(n, key, &seen, &pushed);
      if (!Value(f.value(), child, where, depth + 1)) return false;
      if (pushed) Pop();
    }
    Required(n, seen);
    return true;
  }

  [[gnu::noinline]] bool Array(od::value v, std::uint32_t node, const Where& where, int depth) {
    std::uint32_t n = Container(node, gen::kTypeArray, "an array");
    od::array a;
    if (auto e = v.get_array().get(a)) return Malformed(where, e);
    std::size_t count = 0;
    for (auto element : a) {
      od::value ev;
      if (auto e = std::move(element).get(ev)) return Malformed(where, e);
      std::uint32_t child = Items(n);
      bool pushed = child != kNoSchema;
      if (pushed) PushIndex(count);
      if (!Value(ev, child, where, depth + 1)) return false;
      if (pushed) Pop();
      ++count;
    }
    ItemCount(n, count);
    return true;
  }

  // The type of an envelope object (payload, CommonBlock, a block): an object, else a
  // structural failure. Returns the object's schema node (see Container).
  bool EnvelopeObject(od::value v, std::uint32_t node, const Where& where, od::object* o,
                      std::uint32_t* n) {
    od::json_type t;
    if (auto e = v.type().get(t)) return Malformed(where, e);
    if (t != od::json_type::object) {
      return Structure(where, "expected an object, got " + std::string(JsonTypeName(t)));
    }
    *n = Container(node, gen::kTypeObject, "an object");
    if (auto e = v.get_object().get(*o)) return Malformed(where, e);
    return true;
  }

  bool Payload(od::value v, std::uint32_t node) {
    if (!envelope_) {
      // A plain schema check: the payload is any value against the root.
      return Value(v, node, {"payload"}, 1);
    }
    od::object o;
    std::uint32_t n;
    if (!EnvelopeObject(v, node, {"payload"}, &o, &n)) return false;
    Seen seen;
    TooWide(n);
    bool has_common = false;
    KeySet other_blocks;  // the blocks besides CommonBlock, each at most once too
    for (auto field : o) {
      od::field f;
      if (auto e = std::move(field).get(f)) return Malformed({"payload"}, e);
      std::string_view key;
      if (auto e = KeyOf(f, &key)) return Malformed({"payload"}, e);
      const bool common = EqualsIgnoreCase(key, "CommonBlock");
      if (common ? has_common : !other_blocks.Insert(key)) return RepeatedBlock(key);
      bool pushed;
      std::uint32_t child = Property(n, key, &seen, &pushed);
      bool ok;
      if (common) {
        has_common = true;
        ok = CommonBlock(f.value(), child);
      } else {
        if (EqualsIgnoreCase(key, "CustomBlock")) env_->has_custom_block = true;
        ok = Value(f.value(), child, {key}, 1);
      }
      if (!ok) return false;
      if (pushed) Pop();
    }
    if (!has_common) return Structure({"payload.CommonBlock"}, "required block missing");
    Required(n, seen);
    return true;
  }

  bool CommonBlock(od::value v, std::uint32_t node) {
    od::object o;
    std::uint32_t n;
    if (!EnvelopeObject(v, node, {"CommonBlock"}, &o, &n)) return false;
    Seen seen;
    TooWide(n);
    KeySet other_blocks;  // the blocks not read below, each at most once too
    for (auto field : o) {
      od::field f;
      if (auto e = std::move(field).get(f)) return Malformed({"CommonBlock"}, e);
      std::string_view key;
      if (auto e = KeyOf(f, &key)) return Malformed({"CommonBlock"}, e);
      bool pushed;
      std::uint32_t child = Property(n, key, &seen, &pushed);
      auto once = [&](bool* seen_block, std::string_view name) {
        if (*seen_block) return Structure({name}, "block appears more than once");
        *seen_block = true;
        return true;
      };
      bool ok;
      if (EqualsIgnoreCase(key, "S0")) {
        ok = once(&env_->has_s0, "S0") && Block(f.value(), child, "S0", kS0Slots);
      } else if (EqualsIgnoreCase(key, "S1")) {
        ok = once(&env_->has_s1, "S1") && Block(f.value(), child, "S1", kS1Slots);
      } else if (EqualsIgnoreCase(key, "M0")) {
        ok = once(&env_->has_m0, "M0") && Block(f.value(), child, "M0", kM0Slots);
      } else if (EqualsIgnoreCase(key, "A0")) {
        ok = once(&env_->has_a0, "A0") && A0(f.value(), child);
      } else if (EqualsIgnoreCase(key, "R0")) {
        ok = once(&env_->has_r0, "R0") && Block(f.value(), child, "R0", kR0Slots);
      } else {
        ok = other_blocks.Insert(key) ? Value(f.value(), child, {key}, 1) : RepeatedBlock(key);
      }
      if (!ok) return false;
      if (pushed) Pop();
    }
    Required(n, seen);
    return true;
  }

  // A block of string fields (S0, S1, M0, R0): known names into their slots; other names are
  // left to the schema.
  template <std::size_t N>
  bool Block(od::value v, std::uint32_t node, std::string_view block, const FieldSlot (&slots)[N]) {
    od::object o;
    std::uint32_t n;
    if (!EnvelopeObject(v, node, {block}, &o, &n)) return false;
    Seen seen;
    TooWide(n);
    KeySet others;  // the fields without a slot (a slot's own field is checked by its state)
    for (auto field : o) {
      od::field f;
      if (auto e = std::move(field).get(f)) return Malformed({block}, e);
      std::string_view key;
      if (auto e = KeyOf(f, &key)) return Malformed({block}, e);
      bool pushed;
      std::uint32_t child = Property(n, key, &seen, &pushed);
      const FieldSlot* slot = nullptr;
      for (const FieldSlot& s : slots) {
        if (EqualsIgnoreCase(s.name, key)) slot = &s;
      }
      const Where where{block, slot ? slot->name : key};
      bool ok;
      if (slot == nullptr) {
        if (!others.Insert(key)) return Repeated({block}, key);
        ok = Value(f.value(), child, where, 2);
      } else {
        StrField& target = env_->*(slot->target);
        if (target.state != StrField::State::kMissing) {
          return Structure(where, "field appears more than once");
        }
        ok = ReadString(f.value(), child, where, &target);
      }
      if (!ok) return false;
      if (pushed) Pop();
    }
    Required(n, seen);
    return true;
  }

  // A string field of the envelope: its value when a string, else its JSON type in words.
  bool ReadString(od::value v, std::uint32_t node, const Where& where, StrField* out) {
    od::json_type t;
    if (auto e = v.type().get(t)) return Malformed(where, e);
    if (t == od::json_type::string) {
      std::string_view s;
      if (auto e = StringOf(v, &s)) return Malformed(where, e);
      out->state = StrField::State::kString;
      out->value.assign(s);
      SchemaString(node, s);
      return true;
    }
    out->state = t == od::json_type::null ? StrField::State::kNull : StrField::State::kOther;
    out->value = JsonTypeName(t);
    return Value(v, node, where, 1);
  }

  bool A0(od::value v, std::uint32_t node) {
    od::object o;
    std::uint32_t n;
    if (!EnvelopeObject(v, node, {"A0"}, &o, &n)) return false;
    Seen seen;
    TooWide(n);
    KeySet keys;
    for (auto field : o) {
      od::field f;
      if (auto e = std::move(field).get(f)) return Malformed({"A0"}, e);
      std::string_view key;
      if (auto e = KeyOf(f, &key)) return Malformed({"A0"}, e);
      const bool primary = EqualsIgnoreCase(key, "primaryRecipients");
      if (!keys.Insert(key)) return Repeated({"A0"}, primary ? "primaryRecipients" : key);
      bool pushed;
      std::uint32_t child = Property(n, key, &seen, &pushed);
      bool ok =
          primary ? PrimaryRecipients(f.value(), child) : Value(f.value(), child, {"A0", key}, 2);
      if (!ok) return false;
      if (pushed) Pop();
    }
    Required(n, seen);
    return true;
  }

  bool PrimaryRecipients(od::value v, std::uint32_t node) {
    constexpr std::string_view kWhere = "A0.primaryRecipients";
    env_->primary_recipients_present = true;
    od::json_type t;
    if (auto e = v.type().get(t)) return Malformed({kWhere}, e);
    if (t != od::json_type::array) {
      structure_ = Status::Dip(codes::kPrimaryRecipientInvalid,
                               std::string(kWhere) + ": expected an array of DIP IDs, got " +
                                   std::string(JsonTypeName(t)));
      return false;
    }
    std::uint32_t n = Container(node, gen::kTypeArray, "an array");
    od::array a;
    if (auto e = v.get_array().get(a)) return Malformed({kWhere}, e);
    std::size_t count = 0;
    for (auto element : a) {
      const Where where{"A0", "primaryRecipients", static_cast<std::int64_t>(count)};
      od::value ev;
      if (auto e = std::move(element).get(ev)) return Malformed(where, e);
      std::uint32_t child = Items(n);
      bool pushed = child != kNoSchema;
      if (pushed) PushIndex(count);
      StrField id;
      if (!ReadString(ev, child, where, &id)) return false;
      if (id.state != StrField::State::kNull) {
        if (!id.is_string()) {
          structure_ = Status::Dip(codes::kPrimaryRecipientInvalid,
                                   where.Text() + ": expected a DIP ID string, got " + id.value);
          return false;
        }
        env_->primary_recipients.push_back(std::move(id.value));
      }
      if (pushed) Pop();
      ++count;
    }
    ItemCount(n, count);
    return true;
  }

  struct Segment {
    std::string_view name;
    std::size_t index;
    bool is_index;
  };

  Envelope* env_;
  const bool envelope_;
  Status structure_, schema_;
  // The schema path for help texts. Only schema nodes push, so its depth is the schema's.
  std::array<Segment, kMaxJsonDepth + 8> path_{};
  std::size_t depth_ = 0;
};

// The first field named `name` (case-insensitively, raw key without escapes) of `o`, as an
// object; false when absent, escaped or not an object.
bool FindObject(od::object& o, std::string_view name, od::object* out, bool* error) {
  for (auto field : o) {
    od::field f;
    if (std::move(field).get(f) != simdjson::SUCCESS) {
      *error = true;
      return false;
    }
    std::string_view key;
    if (!RawKey(f, &key)) return false;
    if (!EqualsIgnoreCase(key, name)) continue;
    od::json_type t;
    od::value v = f.value();
    if (v.type().get(t) != simdjson::SUCCESS) {
      *error = true;
      return false;
    }
    if (t != od::json_type::object) return false;
    if (v.get_object().get(*out) != simdjson::SUCCESS) {
      *error = true;
      return false;
    }
    return true;
  }
  return false;
}

}  // namespace

WalkResult WalkMessage(od::object item, std::uint32_t root, bool envelope_rules, Envelope* env) {
  Walker walker(env, envelope_rules);
  walker.Item(item, root);
  return walker.Take();
}

std::optional<std::string_view> PeekEventCode(od::object& item, bool* error) {
  std::optional<std::string_view> code;
  od::object payload, common, s0;
  if (FindObject(item, "payload", &payload, error) &&
      FindObject(payload, "CommonBlock", &common, error) && FindObject(common, "S0", &s0, error)) {
    for (auto field : s0) {
      od::field f;
      std::string_view key;
      if (std::move(field).get(f) != simdjson::SUCCESS) {
        *error = true;
        break;
      }
      if (!RawKey(f, &key)) break;
      if (!EqualsIgnoreCase(key, "eventCode")) continue;
      od::value v = f.value();
      od::json_type t;
      if (v.type().get(t) != simdjson::SUCCESS) {
        *error = true;
        break;
      }
      if (t != od::json_type::string) break;
      // The token as sent, when it holds no escape (nothing is unescaped twice).
      std::string_view token = v.raw_json_token();
      std::size_t end = token.find_first_of("\"\\", 1);
      if (end != std::string_view::npos && token[end] == '"') code = token.substr(1, end - 1);
      break;
    }
  }
  if (*error) return std::nullopt;
  if (item.reset().error() != simdjson::SUCCESS) *error = true;
  return *error ? std::nullopt : code;
}

std::uint32_t SingleSchemaRoot(std::string_view interface_id, std::string_view event_code) {
  std::uint32_t root = kNoSchema;
  for (std::uint32_t i : FindEventRows(interface_id, event_code)) {
    std::uint32_t r = gen::kEvents[i].schema_root;
    if (root != kNoSchema && root != r) return kNoSchema;
    root = r;
  }
  return root;
}

}  // namespace diphub::dip
