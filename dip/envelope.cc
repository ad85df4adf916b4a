#include "dip/envelope.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <unordered_set>
#include <vector>

#include "dip/codes.h"
#include "dip/json_type.h"
#include "dip/text.h"

namespace diphub::dip {
namespace od = simdjson::ondemand;
namespace {

Status Malformed(std::string_view where, simdjson::error_code e) {
  return Status::Dip(codes::kSchemaFailure,
                     std::string(where) + ": malformed JSON (" + simdjson::error_message(e) + ")");
}

Status Schema(std::string where, std::string_view rule) {
  return Status::Dip(codes::kSchemaFailure, where + ": " + std::string(rule));
}

// The keys of one JSON object seen so far. The hub matches field names case-insensitively, so
// "MPANCore" and "mpancore" in one object are one field given twice: a schema failure (MSG1001)
// rather than a silent choice of one of them. Linear for the small objects of a message, hashed
// past kLinear keys so that a hostile object of many keys costs linear time.
class KeySet {
 public:
  // False when `key` was seen before in this object.
  bool Insert(std::string_view key) {
    if (hashed_.empty() && keys_.size() < kLinear) {
      for (std::string_view k : keys_) {
        if (EqualsIgnoreCase(k, key)) return false;
      }
      keys_.push_back(key);
      return true;
    }
    if (hashed_.empty()) {
      for (std::string_view k : keys_) hashed_.insert(Lower(k));
    }
    return hashed_.insert(Lower(key)).second;
  }

 private:
  static constexpr std::size_t kLinear = 16;
  static std::string Lower(std::string_view k) {
    std::string out(k);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }
  std::vector<std::string_view> keys_;
  std::unordered_set<std::string> hashed_;
};

Status Repeated(std::string_view where, std::string_view key) {
  return Schema(where.empty() ? std::string(key) : std::string(where) + "." + std::string(key),
                "field appears more than once");
}

// Walks a value to its end, checking every atom, so that malformed JSON anywhere in a message
// is caught even where the hub does not interpret the content.
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
        if (!seen.Insert(key)) return Repeated(where, key);
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

Status ReadString(od::value v, std::string_view where, StrField* out) {
  od::json_type t;
  if (auto e = v.type().get(t)) return Malformed(where, e);
  if (t == od::json_type::string) {
    std::string_view s;
    if (auto e = StringOf(v, &s)) return Malformed(where, e);
    out->state = StrField::State::kString;
    out->value.assign(s);
    return Status::Ok();
  }
  out->state = t == od::json_type::null ? StrField::State::kNull : StrField::State::kOther;
  out->value = JsonTypeName(t);
  return Validate(v, where, 1);
}

struct FieldSlot {
  std::string_view name;
  StrField* target;
};

// Reads an object of string fields (S0, S1, M0): known names into their slots, other names are
// validated and left for the schema check of the conformance layer.
Status ReadBlock(od::value v, std::string_view block, std::initializer_list<FieldSlot> slots) {
  od::object o;
  od::json_type t;
  if (auto e = v.type().get(t)) return Malformed(block, e);
  if (t != od::json_type::object) {
    return Schema(std::string(block), "expected an object, got " + std::string(JsonTypeName(t)));
  }
  if (auto e = v.get_object().get(o)) return Malformed(block, e);
  std::string where;  // "S1.senderDIPID": one buffer for the block's fields
  KeySet seen;
  for (auto field : o) {
    od::field f;
    if (auto e = std::move(field).get(f)) return Malformed(block, e);
    std::string_view key;
    if (auto e = KeyOf(f, &key)) return Malformed(block, e);
    const FieldSlot* slot = nullptr;
    for (const FieldSlot& s : slots) {
      if (EqualsIgnoreCase(s.name, key)) slot = &s;
    }
    where.assign(block).append(".").append(slot ? slot->name : key);
    if (slot == nullptr) {
      if (!seen.Insert(key)) return Repeated(block, key);
      if (Status s = Validate(f.value(), where, 2); !s.ok()) return s;
      continue;
    }
    if (slot->target->state != StrField::State::kMissing) {
      return Schema(where, "field appears more than once");
    }
    if (Status s = ReadString(f.value(), where, slot->target); !s.ok()) return s;
  }
  return Status::Ok();
}

Status ReadA0(od::value v, Envelope* env) {
  od::json_type t;
  if (auto e = v.type().get(t)) return Malformed("A0", e);
  if (t != od::json_type::object) {
    return Schema("A0", "expected an object, got " + std::string(JsonTypeName(t)));
  }
  od::object o;
  if (auto e = v.get_object().get(o)) return Malformed("A0", e);
  KeySet seen;
  for (auto field : o) {
    od::field f;
    if (auto e = std::move(field).get(f)) return Malformed("A0", e);
    std::string_view key;
    if (auto e = KeyOf(f, &key)) return Malformed("A0", e);
    if (!seen.Insert(key)) {
      return Repeated("A0", EqualsIgnoreCase(key, "primaryRecipients") ? "primaryRecipients" : key);
    }
    if (!EqualsIgnoreCase(key, "primaryRecipients")) {
      if (Status s = Validate(f.value(), "A0." + std::string(key), 2); !s.ok()) return s;
      continue;
    }
    env->primary_recipients_present = true;
    od::value pv = f.value();
    if (auto e = pv.type().get(t)) return Malformed("A0.primaryRecipients", e);
    if (t != od::json_type::array) {
      return Status::Dip(codes::kPrimaryRecipientInvalid,
                         "A0.primaryRecipients: expected an array of DIP IDs, got " +
                             std::string(JsonTypeName(t)));
    }
    od::array a;
    if (auto e = pv.get_array().get(a)) return Malformed("A0.primaryRecipients", e);
    std::size_t i = 0;
    for (auto el : a) {
      std::string where = "A0.primaryRecipients[" + std::to_string(i++) + "]";
      od::value ev;
      if (auto e = std::move(el).get(ev)) return Malformed(where, e);
      StrField id;
      if (Status s = ReadString(ev, where, &id); !s.ok()) return s;
      if (id.state == StrField::State::kNull) continue;  // the spec's DIP IDs are nullable
      if (!id.is_string()) {
        return Status::Dip(codes::kPrimaryRecipientInvalid,
                           where + ": expected a DIP ID string, got " + id.value);
      }
      env->primary_recipients.push_back(std::move(id.value));
    }
  }
  return Status::Ok();
}

Status ReadCommonBlock(od::value v, Envelope* env) {
  od::json_type t;
  if (auto e = v.type().get(t)) return Malformed("CommonBlock", e);
  if (t != od::json_type::object) {
    return Schema("CommonBlock", "expected an object, got " + std::string(JsonTypeName(t)));
  }
  od::object o;
  if (auto e = v.get_object().get(o)) return Malformed("CommonBlock", e);
  KeySet other_blocks;  // the blocks not read below, each at most once too
  for (auto field : o) {
    od::field f;
    if (auto e = std::move(field).get(f)) return Malformed("CommonBlock", e);
    std::string_view key;
    if (auto e = KeyOf(f, &key)) return Malformed("CommonBlock", e);
    Status s;
    auto once = [&](bool* seen, std::string_view name) {
      if (*seen) return Schema(std::string(name), "block appears more than once");
      *seen = true;
      return Status::Ok();
    };
    if (EqualsIgnoreCase(key, "S0")) {
      if (s = once(&env->has_s0, "S0"); s.ok()) {
        s = ReadBlock(f.value(), "S0",
                      {{"interfaceID", &env->interface_id},
                       {"schemaVersion", &env->schema_version},
                       {"eventCode", &env->event_code}});
      }
    } else if (EqualsIgnoreCase(key, "S1")) {
      if (s = once(&env->has_s1, "S1"); s.ok()) {
        s = ReadBlock(f.value(), "S1",
                      {{"environmentTag", &env->environment_tag},
                       {"subText", &env->sub_text},
                       {"senderUniqueReference", &env->sender_unique_reference},
                       {"senderTimestamp", &env->sender_timestamp},
                       {"senderDIPID", &env->sender_dip_id},
                       {"senderRoleID", &env->sender_role_id},
                       {"senderCorrelationID", &env->sender_correlation_id},
                       {"DIPConnectionProviderID", &env->connection_provider_id}});
      }
    } else if (EqualsIgnoreCase(key, "M0")) {
      if (s = once(&env->has_m0, "M0"); s.ok()) {
        s = ReadBlock(
            f.value(), "M0",
            {{"MPANCore", &env->mpan_core}, {"distributorDIPID", &env->distributor_dip_id}});
      }
    } else if (EqualsIgnoreCase(key, "A0")) {
      if (s = once(&env->has_a0, "A0"); s.ok()) s = ReadA0(f.value(), env);
    } else if (EqualsIgnoreCase(key, "R0")) {
      if (s = once(&env->has_r0, "R0"); s.ok()) {
        s = ReadBlock(f.value(), "R0", {{"responseCode", &env->response_code}});
      }
    } else if (!other_blocks.Insert(key)) {
      s = Schema(std::string(key), "block appears more than once");
    } else {
      s = Validate(f.value(), key, 1);
    }
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status ReadItem(std::string_view raw, std::size_t capacity, Envelope* env) {
  thread_local od::parser parser;
  od::document doc;
  if (auto e = parser.iterate(raw.data(), raw.size(), capacity).get(doc)) {
    return Malformed("payload", e);
  }
  od::object item;
  if (auto e = doc.get_object().get(item)) return Malformed("message", e);
  bool has_payload = false;
  for (auto field : item) {
    od::field f;
    if (auto e = std::move(field).get(f)) return Malformed("message", e);
    std::string_view key;
    if (auto e = KeyOf(f, &key)) return Malformed("message", e);
    if (!EqualsIgnoreCase(key, "payload")) {
      return Schema(std::string(key), "unexpected field; a message holds only \"payload\"");
    }
    if (has_payload) return Schema("payload", "field appears more than once");
    has_payload = true;
    od::value pv = f.value();
    od::json_type t;
    if (auto e = pv.type().get(t)) return Malformed("payload", e);
    if (t != od::json_type::object) {
      return Schema("payload", "expected an object, got " + std::string(JsonTypeName(t)));
    }
    od::object payload;
    if (auto e = pv.get_object().get(payload)) return Malformed("payload", e);
    bool has_common = false;
    KeySet seen;
    for (auto pfield : payload) {
      od::field pf;
      if (auto e = std::move(pfield).get(pf)) return Malformed("payload", e);
      std::string_view pkey;
      if (auto e = KeyOf(pf, &pkey)) return Malformed("payload", e);
      Status s;
      if (EqualsIgnoreCase(pkey, "CommonBlock")) {
        if (has_common) return Schema("CommonBlock", "block appears more than once");
        has_common = true;
        s = ReadCommonBlock(pf.value(), env);
      } else if (!seen.Insert(pkey)) {
        s = Schema(std::string(pkey), "block appears more than once");
      } else {
        if (EqualsIgnoreCase(pkey, "CustomBlock")) env->has_custom_block = true;
        s = Validate(pf.value(), pkey, 1);
      }
      if (!s.ok()) return s;
    }
    if (!has_common) return Schema("payload.CommonBlock", "required block missing");
  }
  if (!has_payload) return Schema("payload", "required field missing");
  return Status::Ok();
}

}  // namespace

ParsedArray ParseMessageArray(const std::string& body, std::string* scratch) {
  ParsedArray out;
  const char* data = body.data();
  std::size_t capacity = body.capacity();
  if (capacity < body.size() + simdjson::SIMDJSON_PADDING) {
    scratch->reserve(body.size() + simdjson::SIMDJSON_PADDING);
    scratch->assign(body);
    data = scratch->data();
    capacity = scratch->capacity();
  }
  const char* end_of_buffer = data + capacity;

  thread_local od::parser parser;
  od::document doc;
  if (auto e = parser.iterate(data, body.size(), capacity).get(doc)) {
    out.status = Malformed("body", e);
    return out;
  }
  od::json_type t;
  if (auto e = doc.type().get(t)) {
    out.status = Malformed("body", e);
    return out;
  }
  if (t != od::json_type::array) {
    out.status =
        Schema("body", "expected a JSON array of messages, got " + std::string(JsonTypeName(t)));
    return out;
  }
  od::array arr;
  if (auto e = doc.get_array().get(arr)) {
    out.status = Malformed("body", e);
    return out;
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
      return out;
    }
    if (auto e = v.type().get(t)) {
      out.status = Malformed("body", e);
      return out;
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
        return out;
      }
    }
    if (e) {
      out.status = Malformed("body", e);
      return out;
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
    return out;
  }
  if (extents.empty()) {
    out.status = Schema("body", "the message array is empty (minItems 1)");
    return out;
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
      item.status =
          ReadItem(std::string_view(data + x.offset, x.size),
                   static_cast<std::size_t>(end_of_buffer - (data + x.offset)), &item.envelope);
    }
    if (!item.status.ok()) ++failures;
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
