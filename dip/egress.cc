#include "dip/egress.h"

#include <simdjson.h>

#include <array>
#include <vector>

#include "dip/codes.h"
#include "dip/json_type.h"
#include "dip/json_writer.h"
#include "dip/text.h"

namespace diphub::dip {
namespace od = simdjson::ondemand;
namespace {

constexpr std::string_view kCanonicalBlocks[] = {"S0", "S1", "M0", "M1", "R0", "P01", "P02", "P03"};

Status Broken(simdjson::error_code e) {
  return Status::Dip(codes::kProcessingFailed,
                     std::string("stored message unreadable: ") + simdjson::error_message(e));
}

// The raw JSON text of any value (objects and arrays whole, scalars as their token), without
// the whitespace On-Demand leaves after it.
simdjson::error_code RawValue(od::value v, std::string_view* out) {
  od::json_type t;
  if (auto e = v.type().get(t)) return e;
  if (t == od::json_type::object) {
    od::object o;
    if (auto e = v.get_object().get(o)) return e;
    if (auto e = o.raw_json().get(*out)) return e;
  } else if (t == od::json_type::array) {
    od::array a;
    if (auto e = v.get_array().get(a)) return e;
    if (auto e = a.raw_json().get(*out)) return e;
  } else {
    *out = v.raw_json_token();
  }
  while (!out->empty() && (out->back() == ' ' || out->back() == '\n' || out->back() == '\r' ||
                           out->back() == '\t')) {
    out->remove_suffix(1);
  }
  return simdjson::SUCCESS;
}

void AppendKey(std::string* out, std::string_view key) {
  AppendJsonString(*out, key);
  out->push_back(':');
}

void AppendIds(std::span<const std::string_view> ids, std::string* out) {
  out->push_back('[');
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(*out, ids[i]);
  }
  out->push_back(']');
}

void AppendOptString(const std::optional<std::string_view>& v, std::string* out) {
  if (v) {
    AppendJsonString(*out, *v);
  } else {
    out->append("null");
  }
}

// Appends "A0":{...},"D0":{...}, written straight into `out` (no string of its own per message).
void AppendA0D0(const AddressingView& a0, const DipBlockView& d0, std::string* out) {
  out->append(R"("A0":{"primaryRecipients":)");
  AppendIds(a0.primary_recipients, out);
  out->append(R"(,"secondaryRecipients":)");
  AppendIds(a0.secondary_recipients, out);
  out->append(R"(,"always":)");
  AppendIds(a0.always, out);
  out->append(R"(},"D0":{"transactionID":)");
  AppendJsonString(*out, d0.transaction_id);
  out->append(R"(,"transactionTimestamp":)");
  AppendJsonString(*out, d0.transaction_timestamp);
  out->append(R"(,"publicationID":)");
  AppendJsonString(*out, d0.publication_id);
  out->append(R"(,"initialCorrelationID":)");
  AppendOptString(d0.initial_correlation_id, out);
  out->append(d0.replay_indicator ? R"(,"replayIndicator":true)" : R"(,"replayIndicator":false)");
  out->append(R"(,"serviceTicketURL":)");
  AppendOptString(d0.service_ticket_url, out);
  out->push_back('}');
}

Status AppendCommonBlock(od::value v, const AddressingView& a0, const DipBlockView& d0,
                         std::string* out) {
  od::object o;
  if (auto e = v.get_object().get(o)) return Broken(e);
  out->push_back('{');
  bool first = true;
  for (auto field : o) {
    od::field f;
    if (auto e = std::move(field).get(f)) return Broken(e);
    std::string_view key;
    if (auto e = f.unescaped_key().get(key)) return Broken(e);
    if (EqualsIgnoreCase(key, "A0") || EqualsIgnoreCase(key, "D0")) continue;  // replaced below
    std::string_view canonical;
    for (std::string_view b : kCanonicalBlocks) {
      if (EqualsIgnoreCase(b, key)) canonical = b;
    }
    std::string_view raw;
    if (auto e = RawValue(f.value(), &raw)) return Broken(e);
    if (!first) out->push_back(',');
    first = false;
    AppendKey(out, canonical.empty() ? key : canonical);
    out->append(raw);
  }
  if (!first) out->push_back(',');
  AppendA0D0(a0, d0, out);
  out->push_back('}');
  return Status::Ok();
}

bool NeedsCanonicalCase(std::string_view key) {
  for (std::string_view b : kCanonicalBlocks) {
    if (EqualsIgnoreCase(b, key)) return b != key;
  }
  return (EqualsIgnoreCase(key, "CommonBlock") && key != "CommonBlock") ||
         (EqualsIgnoreCase(key, "CustomBlock") && key != "CustomBlock");
}

// The publication spliced from the stored bytes: the element as received up to CommonBlock's
// opening brace, CommonBlock's fields but the sender's A0 and D0 (each as received), the hub's A0
// and D0, then the rest as received. `base` is the parsed copy of `raw_item` (same offsets).
// False, with nothing appended, when a name the hub writes in the spec's case is sent in
// another, a key holds an escape, or the element is not shaped as ingest accepts it: the caller
// then renders field by field.
bool Splice(od::document& doc, const char* base, std::string_view raw_item,
            const AddressingView& a0, const DipBlockView& d0, std::string* out) {
  od::object item;
  if (doc.get_object().get(item) != simdjson::SUCCESS) return false;
  const char* open = nullptr;   // CommonBlock's '{'
  const char* close = nullptr;  // and its '}'
  // The CommonBlock fields kept, inline for the few blocks a message has (no allocation).
  std::array<std::string_view, 16> kept;
  std::size_t kept_count = 0;
  std::vector<std::string_view> kept_more;
  std::size_t fields = 0;
  for (auto field : item) {
    od::field f;
    std::string_view key;
    if (std::move(field).get(f) != simdjson::SUCCESS || !RawKey(f, &key)) return false;
    if (key != "payload" || ++fields > 1) return false;
    od::object payload;
    if (f.value().get_object().get(payload) != simdjson::SUCCESS) return false;
    for (auto pfield : payload) {
      od::field pf;
      if (std::move(pfield).get(pf) != simdjson::SUCCESS || !RawKey(pf, &key)) return false;
      if (NeedsCanonicalCase(key)) return false;
      if (key != "CommonBlock") continue;  // On-Demand skips the value
      if (open != nullptr) return false;
      od::value cv = pf.value();
      open = cv.raw_json_token().data();
      od::object common;
      if (*open != '{' || cv.get_object().get(common) != simdjson::SUCCESS) return false;
      const char* end = open + 1;
      for (auto cfield : common) {
        od::field c;
        if (std::move(cfield).get(c) != simdjson::SUCCESS || !RawKey(c, &key)) return false;
        if (NeedsCanonicalCase(key)) return false;
        const char* begin = c.key().raw() - 1;  // the key's opening quote
        std::string_view value;
        if (RawValue(c.value(), &value) != simdjson::SUCCESS) return false;
        end = value.data() + value.size();
        if (EqualsIgnoreCase(key, "A0") || EqualsIgnoreCase(key, "D0")) continue;  // replaced
        const std::string_view kept_field(begin, static_cast<std::size_t>(end - begin));
        if (kept_count < kept.size()) {
          kept[kept_count++] = kept_field;
        } else {
          kept_more.push_back(kept_field);
        }
      }
      close = end;
      while (*close == ' ' || *close == '\n' || *close == '\r' || *close == '\t') ++close;
      if (*close != '}') return false;
    }
  }
  if (open == nullptr) return false;
  out->append(raw_item.substr(0, static_cast<std::size_t>(open + 1 - base)));
  for (std::size_t i = 0; i < kept_count; ++i) {
    if (i > 0) out->push_back(',');
    out->append(kept[i]);
  }
  for (std::string_view field : kept_more) out->append(",").append(field);
  if (kept_count > 0) out->push_back(',');
  AppendA0D0(a0, d0, out);
  out->append(raw_item.substr(static_cast<std::size_t>(close - base)));
  return true;
}

// `padded` holds raw_item's bytes and may be read `capacity` bytes from its start (at least
// raw_item.size() + SIMDJSON_PADDING).
Status Render(const char* padded, std::size_t capacity, std::string_view raw_item,
              const AddressingView& a0, const DipBlockView& d0, std::string* out) {
  thread_local od::parser parser;
  od::document doc;
  if (auto e = parser.iterate(padded, raw_item.size(), capacity).get(doc)) return Broken(e);
  if (Splice(doc, padded, raw_item, a0, d0, out)) return Status::Ok();
  doc.rewind();
  od::object item;
  if (auto e = doc.get_object().get(item)) return Broken(e);
  out->append("{\"payload\":{");
  for (auto field : item) {
    od::field f;
    if (auto e = std::move(field).get(f)) return Broken(e);
    od::object payload;
    if (auto e = f.value().get_object().get(payload)) return Broken(e);
    bool first = true;
    for (auto pfield : payload) {
      od::field pf;
      if (auto e = std::move(pfield).get(pf)) return Broken(e);
      std::string_view key;
      if (auto e = pf.unescaped_key().get(key)) return Broken(e);
      if (!first) out->push_back(',');
      first = false;
      if (EqualsIgnoreCase(key, "CommonBlock")) {
        AppendKey(out, "CommonBlock");
        if (Status s = AppendCommonBlock(pf.value(), a0, d0, out); !s.ok()) return s;
        continue;
      }
      std::string_view raw;
      if (auto e = RawValue(pf.value(), &raw)) return Broken(e);
      AppendKey(out, EqualsIgnoreCase(key, "CustomBlock") ? std::string_view("CustomBlock") : key);
      out->append(raw);
    }
  }
  out->append("}}");
  return Status::Ok();
}

// Views of `a0` and `d0`: one small vector of views for the three ID lists.
template <typename Fn>
Status WithViews(const Addressing& a0, const DipBlock& d0, Fn fn) {
  std::vector<std::string_view> ids;
  ids.reserve(a0.primary_recipients.size() + a0.secondary_recipients.size() + a0.always.size());
  ids.insert(ids.end(), a0.primary_recipients.begin(), a0.primary_recipients.end());
  ids.insert(ids.end(), a0.secondary_recipients.begin(), a0.secondary_recipients.end());
  ids.insert(ids.end(), a0.always.begin(), a0.always.end());
  const std::span<const std::string_view> all(ids);
  const std::size_t p = a0.primary_recipients.size();
  const std::size_t s = a0.secondary_recipients.size();
  const AddressingView a{all.subspan(0, p), all.subspan(p, s), all.subspan(p + s)};
  auto opt = [](const std::optional<std::string>& v) {
    return v ? std::optional<std::string_view>(*v) : std::nullopt;
  };
  const DipBlockView d{d0.transaction_id,   d0.transaction_timestamp,
                       d0.publication_id,   opt(d0.initial_correlation_id),
                       d0.replay_indicator, opt(d0.service_ticket_url)};
  return fn(a, d);
}

}  // namespace

Status AppendEgressMessage(std::string_view raw_item, const AddressingView& a0,
                           const DipBlockView& d0, std::string* out) {
  thread_local std::string padded;
  padded.reserve(raw_item.size() + simdjson::SIMDJSON_PADDING);
  padded.assign(raw_item);
  return Render(padded.data(), padded.capacity(), padded, a0, d0, out);
}

Status AppendEgressMessage(std::string_view raw_item, const Addressing& a0, const DipBlock& d0,
                           std::string* out) {
  return WithViews(a0, d0, [&](const AddressingView& a, const DipBlockView& d) {
    return AppendEgressMessage(raw_item, a, d, out);
  });
}

Status AppendEgressMessage(const std::string& raw_item, const Addressing& a0, const DipBlock& d0,
                           std::string* out) {
  if (raw_item.capacity() - raw_item.size() < simdjson::SIMDJSON_PADDING) {
    return AppendEgressMessage(std::string_view(raw_item), a0, d0, out);
  }
  return WithViews(a0, d0, [&](const AddressingView& a, const DipBlockView& d) {
    return Render(raw_item.data(), raw_item.capacity(), raw_item, a, d, out);
  });
}

}  // namespace diphub::dip
