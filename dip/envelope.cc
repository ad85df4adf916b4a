#include "dip/envelope.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <optional>

#include "dip/codes.h"
#include "dip/json_type.h"
#include "dip/key_set.h"
#include "dip/l1.h"
#include "dip/message_walk.h"
#include "dip/schema_check.h"
#include "dip/text.h"

namespace diphub::dip {
namespace od = simdjson::ondemand;
static_assert(kBodyPadding >= simdjson::SIMDJSON_PADDING);
namespace {

Status Malformed(std::string_view where, simdjson::error_code e) {
  return Status::Dip(codes::kSchemaFailure,
                     std::string(where) + ": malformed JSON (" + simdjson::error_message(e) + ")");
}

Status Schema(std::string where, std::string_view rule) {
  return Status::Dip(codes::kSchemaFailure, where + ": " + std::string(rule));
}

// Walks a value to its end, checking every atom and that no object gives a key twice (KeySet),
// as message_walk's walk does within a message. Used for array elements that are not messages.
Status Validate(od::value v, std::string_view where, int depth) {
  if (depth > kMaxJsonDepth) return Schema(std::string(where), "JSON nested too deeply");
  od::json_type t;
  if (auto e = v.type().get(t)) return Malformed(where, e);
  switch (t) {
    case od::json_type::object: {
      od::object o;
      if (auto e = v.get_object().get(o)) return Malformed(where, e);
      KeySet seen;
      for (auto field : o) {
        od::field f;
        if (auto e = std::move(field).get(f)) return Malformed(where, e);
        std::string_view key;
        if (auto e = KeyOf(f, &key)) return Malformed(where, e);
        if (!seen.Insert(key)) {
          return Schema(std::string(where) + "." + std::string(key),
                        "field appears more than once");
        }
        if (Status s = Validate(f.value(), where, depth + 1); !s.ok()) return s;
      }
      return Status::Ok();
    }
    case od::json_type::array: {
      od::array a;
      if (auto e = v.get_array().get(a)) return Malformed(where, e);
      for (auto el : a) {
        od::value ev;
        if (auto e = std::move(el).get(ev)) return Malformed(where, e);
        if (Status s = Validate(ev, where, depth + 1); !s.ok()) return s;
      }
      return Status::Ok();
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto e = StringOf(v, &s)) return Malformed(where, e);
      return Status::Ok();
    }
    case od::json_type::number: {
      od::number n;
      if (auto e = v.get_number().get(n)) return Malformed(where, e);
      return Status::Ok();
    }
    case od::json_type::boolean: {
      bool b;
      if (auto e = v.get_bool().get(b)) return Malformed(where, e);
      return Status::Ok();
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null); e || !is_null) {
        return Malformed(where, e ? e : simdjson::N_ATOM_ERROR);
      }
      return Status::Ok();
    }
  }
  return Status::Ok();
}

// The parser of whole bodies, per thread (the one-pass reading and its fallback run one after
// the other, never together).
od::parser& BodyParser() {
  thread_local od::parser parser;
  return parser;
}

// The level-1 verdict of a message the walk has been through (with `options`), or its
// structural verdict (without).
Status ItemVerdict(WalkResult& walk, const Envelope& env, const L1Options* options,
                   bool schema_walked) {
  if (!walk.structure.ok()) return std::move(walk.structure);
  if (options == nullptr) return Status::Ok();
  if (Status s = CheckEnvelope(env, *options); !s.ok()) return s;
  if (schema_walked) return std::move(walk.schema);
  // An event listed by several variants (oneOf), or one the walk could not see in advance.
  return CheckMessageSchema(env.raw, options->path_interface, env.event_code.value);
}

// The element's text without the whitespace between it and the separator that follows it.
std::string_view TrimRight(const char* begin, const char* end) {
  while (end > begin && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\r' || end[-1] == '\t')) {
    --end;
  }
  return {begin, static_cast<std::size_t>(end - begin)};
}

// The end of an element that starts before `next` (the next element's first byte, or the
// array's closing bracket): the separator before `next`.
const char* SeparatorBefore(const char* next, char separator) {
  while (*next != separator) --next;
  return next;
}

// The one-pass reading of a body: one On-Demand iteration over the whole array, each message
// walked once (structure, envelope and, with `options`, its schema). Returns false as soon as
// an element is not an object or a message fails its structure (malformed JSON included): the
// iterator cannot be trusted past such a message, the array is refused anyway, and the caller
// reads the body again with ParseEachItem, whose verdicts on such bodies are the reference.
bool ParseOnePass(const std::string& body, const char* data, std::size_t capacity,
                  const L1Options* options, ParsedArray* out) {
  od::document doc;
  if (auto e = BodyParser().iterate(data, body.size(), capacity).get(doc)) {
    out->status = Malformed("body", e);
    return true;
  }
  od::json_type t;
  if (auto e = doc.type().get(t)) {
    out->status = Malformed("body", e);
    return true;
  }
  if (t != od::json_type::array) {
    out->status =
        Schema("body", "expected a JSON array of messages, got " + std::string(JsonTypeName(t)));
    return true;
  }
  od::array arr;
  if (auto e = doc.get_array().get(arr)) {
    out->status = Malformed("body", e);
    return true;
  }
  struct Walked {
    WalkResult result;
    bool schema_walked = false;
  };
  std::vector<Walked> walked;       // per element (out->items)
  std::vector<const char*> starts;  // per element: its first byte in `data`
  // A guess at the element count (a message is rarely under 2 KB), so that the items, each
  // ~700 bytes of Envelope, are seldom moved by the vector growing: at most one growth for
  // messages of 1 KB, and never an allocation large enough to be a fresh mapping.
  const std::size_t guess = std::min<std::size_t>(body.size() / 2048 + 1, 64);
  out->items.reserve(guess);
  walked.reserve(guess);
  starts.reserve(guess);
  for (auto el : arr) {
    od::value v;
    if (std::move(el).get(v) != simdjson::SUCCESS || v.type().get(t) != simdjson::SUCCESS) {
      return false;
    }
    // A message that fails its structure stops its walk part-way, and On-Demand's skip of the
    // rest does not check it: the array is refused anyway, and ParseEachItem reads it.
    if (t != od::json_type::object) return false;
    starts.push_back(v.raw_json_token().data());
    ParsedItem& item = out->items.emplace_back();
    Walked& w = walked.emplace_back();
    od::object o;
    if (v.get_object().get(o) != simdjson::SUCCESS) return false;
    bool error = false;
    std::optional<std::string_view> event;
    if (options != nullptr) {
      event = PeekEventCode(o, &error);
      if (error) return false;
    }
    std::uint32_t root = event ? SingleSchemaRoot(options->path_interface, *event) : kNoSchema;
    w.result = WalkMessage(o, root, true, &item.envelope);
    if (!w.result.structure.ok()) return false;
    // The walk checked the schema of the eventCode the envelope holds (a second eventCode is a
    // structural failure, so the peeked one is it).
    w.schema_walked = root != kNoSchema && item.envelope.event_code.is_string() &&
                      item.envelope.event_code.value == *event;
  }
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
    out->status = Schema("body", "trailing content after the message array");
    return true;
  }
  if (starts.empty()) {
    out->status = Schema("body", "the message array is empty (minItems 1)");
    return true;
  }
  // Each element runs to the comma before the next one; the last to the closing bracket.
  const char* bracket = SeparatorBefore(data + body.size() - 1, ']');
  for (std::size_t i = 0; i < out->items.size(); ++i) {
    ParsedItem& item = out->items[i];
    const char* end = i + 1 < starts.size() ? SeparatorBefore(starts[i + 1], ',') : bracket;
    std::string_view raw = TrimRight(starts[i], end);
    item.envelope.raw = std::string_view(body.data() + (raw.data() - data), raw.size());
    item.status = ItemVerdict(walked[i].result, item.envelope, options, walked[i].schema_walked);
  }
  return true;
}

// One message of ParseEachItem, parsed on its own: the walk without a schema (the schema is
// checked by ItemVerdict).
WalkResult ReadItem(std::string_view raw, std::size_t capacity, Envelope* env) {
  thread_local od::parser parser;
  od::document doc;
  WalkResult out;
  if (auto e = parser.iterate(raw.data(), raw.size(), capacity).get(doc)) {
    out.structure = Malformed("payload", e);
    return out;
  }
  od::object item;
  if (auto e = doc.get_object().get(item)) {
    out.structure = Malformed("message", e);
    return out;
  }
  return WalkMessage(item, kNoSchema, true, env);
}

// The reading of a body that holds malformed JSON somewhere: a first pass finds each element's
// extent (malformed structure there fails the whole body), then each message is parsed on its
// own, so one broken message fails alone.
void ParseEachItem(const std::string& body, const char* data, std::size_t capacity,
                   const L1Options* options, ParsedArray* result) {
  ParsedArray& out = *result;
  out = ParsedArray();
  const char* end_of_buffer = data + capacity;
  od::document doc;
  if (auto e = BodyParser().iterate(data, body.size(), capacity).get(doc)) {
    out.status = Malformed("body", e);
    return;
  }
  od::json_type t;
  if (auto e = doc.type().get(t)) {
    out.status = Malformed("body", e);
    return;
  }
  if (t != od::json_type::array) {
    out.status =
        Schema("body", "expected a JSON array of messages, got " + std::string(JsonTypeName(t)));
    return;
  }
  od::array arr;
  if (auto e = doc.get_array().get(arr)) {
    out.status = Malformed("body", e);
    return;
  }
  // First pass: find each element's extent; malformed structure fails the whole body. Kept
  // compact (offset, size, type), since a body may hold millions of tiny elements.
  struct Extent {
    std::uint32_t offset, size;
    od::json_type type;
  };
  std::vector<Extent> extents;
  for (auto el : arr) {
    od::value v;
    if (auto e = std::move(el).get(v)) {
      out.status = Malformed("body", e);
      return;
    }
    if (auto e = v.type().get(t)) {
      out.status = Malformed("body", e);
      return;
    }
    std::string_view raw;
    simdjson::error_code e = simdjson::SUCCESS;
    if (t == od::json_type::object) {
      od::object o;
      e = v.get_object().get(o);
      if (!e) e = o.raw_json().get(raw);
    } else {
      Status s = Validate(v, "message", 1);
      if (!s.ok()) {
        out.status = s;
        return;
      }
    }
    if (e) {
      out.status = Malformed("body", e);
      return;
    }
    // raw_json() runs up to the next token; keep exactly the element.
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
      raw.remove_suffix(1);
    }
    extents.push_back({raw.empty() ? 0u : static_cast<std::uint32_t>(raw.data() - data),
                       static_cast<std::uint32_t>(raw.size()), t});
  }
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
    out.status = Schema("body", "trailing content after the message array");
    return;
  }
  if (extents.empty()) {
    out.status = Schema("body", "the message array is empty (minItems 1)");
    return;
  }
  out.items.reserve(std::min(extents.size(), kMaxItemFailures * 4));
  std::size_t failures = 0;
  for (std::size_t i = 0; i < extents.size(); ++i) {
    if (failures == kMaxItemFailures) {
      out.unexamined = extents.size() - i;
      break;
    }
    const Extent& x = extents[i];
    ParsedItem& item = out.items.emplace_back();
    if (x.type != od::json_type::object) {
      item.status = Schema("message", "expected an object {\"payload\": {...}}, got " +
                                          std::string(JsonTypeName(x.type)));
    } else {
      // The envelope views `body`, whichever buffer was parsed.
      item.envelope.raw = std::string_view(body.data() + x.offset, x.size);
      WalkResult walk =
          ReadItem(std::string_view(data + x.offset, x.size),
                   static_cast<std::size_t>(end_of_buffer - (data + x.offset)), &item.envelope);
      if (!walk.structure.ok()) ++failures;
      item.status = ItemVerdict(walk, item.envelope, options, false);
      continue;
    }
    ++failures;
  }
}

}  // namespace

ParsedArray ParseMessageArray(const std::string& body, std::string* scratch,
                              const L1Options* level1) {
  ParsedArray out;
  const char* data = body.data();
  std::size_t capacity = body.capacity();
  if (capacity < body.size() + simdjson::SIMDJSON_PADDING) {
    scratch->reserve(body.size() + simdjson::SIMDJSON_PADDING);
    scratch->assign(body);
    data = scratch->data();
    capacity = scratch->capacity();
  }
  if (!ParseOnePass(body, data, capacity, level1, &out)) {
    ParseEachItem(body, data, capacity, level1, &out);
  }
  if (!out.status.ok()) {  // refused as a whole: no message verdicts
    out.items.clear();
    out.unexamined = 0;
  }
  return out;
}

std::string_view JsonTypeName(simdjson::ondemand::json_type t) {
  switch (t) {
    case simdjson::ondemand::json_type::array:
      return "an array";
    case simdjson::ondemand::json_type::object:
      return "an object";
    case simdjson::ondemand::json_type::number:
      return "a number";
    case simdjson::ondemand::json_type::string:
      return "a string";
    case simdjson::ondemand::json_type::boolean:
      return "a boolean";
    case simdjson::ondemand::json_type::null:
      return "null";
  }
  return "a value";
}

}  // namespace diphub::dip
