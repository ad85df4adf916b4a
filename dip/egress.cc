#include "dip/egress.h"

#include <simdjson.h>

#include "dip/codes.h"
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

void AppendIds(JsonWriter& w, const std::vector<std::string>& ids) {
  w.BeginArray();
  for (const std::string& id : ids) w.String(id);
  w.EndArray();
}

std::string RenderA0D0(const Addressing& a0, const DipBlock& d0) {
  JsonWriter w;
  w.Key("A0").BeginObject();
  w.Key("primaryRecipients");
  AppendIds(w, a0.primary_recipients);
  w.Key("secondaryRecipients");
  AppendIds(w, a0.secondary_recipients);
  w.Key("always");
  AppendIds(w, a0.always);
  w.EndObject();
  w.Key("D0").BeginObject();
  w.Key("transactionID").String(d0.transaction_id);
  w.Key("transactionTimestamp").String(d0.transaction_timestamp);
  w.Key("publicationID").String(d0.publication_id);
  w.Key("initialCorrelationID").OptString(d0.initial_correlation_id);
  w.Key("replayIndicator").Bool(d0.replay_indicator);
  w.Key("serviceTicketURL").OptString(d0.service_ticket_url);
  w.EndObject();
  return w.Take();
}

Status AppendCommonBlock(od::value v, const Addressing& a0, const DipBlock& d0, std::string* out) {
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
  out->append(RenderA0D0(a0, d0));
  out->push_back('}');
  return Status::Ok();
}

}  // namespace

Status AppendEgressMessage(std::string_view raw_item, const Addressing& a0, const DipBlock& d0,
                           std::string* out) {
  thread_local std::string padded;
  padded.reserve(raw_item.size() + simdjson::SIMDJSON_PADDING);
  padded.assign(raw_item);
  thread_local od::parser parser;
  od::document doc;
  if (auto e = parser.iterate(padded.data(), padded.size(), padded.capacity()).get(doc)) {
    return Broken(e);
  }
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

}  // namespace diphub::dip
