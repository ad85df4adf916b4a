#include "routing/facts.h"

#include <simdjson.h>

#include <initializer_list>

#include "dip/codes.h"

namespace diphub::routing {
namespace {

namespace dom = simdjson::dom;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// The member `name` of `obj`, matched case-insensitively as the DIP matches names on ingress.
bool Member(dom::element obj, std::string_view name, dom::element* out) {
  dom::object o;
  if (obj.get_object().get(o)) return false;
  for (dom::key_value_pair kv : o) {
    if (EqualsIgnoreCase(kv.key, name)) {
      *out = kv.value;
      return true;
    }
  }
  return false;
}

dip::Status Missing(std::string_view where, std::string_view rule) {
  return dip::Status::Dip(dip::codes::kSchemaFailure,
                          "CustomBlock." + std::string(where) + ": " + std::string(rule));
}

// One block of the CustomBlock, when present.
struct Block {
  std::string_view name;
  dom::element value;
  bool present = false;
};

Block FindBlock(dom::element custom, std::string_view name) {
  Block b{name, {}, false};
  b.present = Member(custom, name, &b.value);
  return b;
}

dip::Status ReadId(const Block& b, std::string_view field, std::string* out) {
  std::string where = std::string(b.name) + "." + std::string(field);
  dom::element v;
  std::string_view s;
  if (!Member(b.value, field, &v) || v.get_string().get(s)) {
    return Missing(where, "required for routing; expected a DIP ID string");
  }
  out->assign(s);
  return dip::Status::Ok();
}

dip::Status ReadDay(const Block& b, std::string_view field, Day* out) {
  std::string where = std::string(b.name) + "." + std::string(field);
  dom::element v;
  std::string_view s;
  if (!Member(b.value, field, &v) || v.get_string().get(s)) {
    return Missing(where, "required for routing; expected a date (YYYY-MM-DD...)");
  }
  std::optional<Day> d = DayFromDate(s);
  if (!d) return Missing(where, "\"" + std::string(s) + "\" is not a date from 1970 to 2149");
  *out = *d;
  return dip::Status::Ok();
}

// An appointment of `slot` read from block fields (party, effective-from date).
dip::Status Appoint(const Block& b, Slot slot, std::string_view party_field,
                    std::string_view from_field, RoutingFacts* facts) {
  if (!b.present) return dip::Status::Ok();
  AppointmentChange c;
  c.slot = slot;
  if (dip::Status s = ReadId(b, party_field, &c.party); !s.ok()) return s;
  if (dip::Status s = ReadDay(b, from_field, &c.from); !s.ok()) return s;
  facts->changes.push_back(std::move(c));
  return dip::Status::Ok();
}

// The end of `slot`'s appointment of a party (party field, effective-to date): vacant from the
// next day.
dip::Status Vacate(const Block& b, Slot slot, std::string_view party_field,
                   std::string_view to_field, RoutingFacts* facts) {
  if (!b.present) return dip::Status::Ok();
  AppointmentChange c;
  c.slot = slot;
  Day to = 0;
  if (dip::Status s = ReadId(b, party_field, &c.vacated_by); !s.ok()) return s;
  if (dip::Status s = ReadDay(b, to_field, &to); !s.ok()) return s;
  if (to == UINT16_MAX) return dip::Status::Ok();  // open-ended: nothing to vacate
  c.from = static_cast<Day>(to + 1);
  facts->changes.push_back(std::move(c));
  return dip::Status::Ok();
}

dip::Status Extract(dom::element custom, std::string_view iface, std::string_view event,
                    RoutingFacts* facts) {
  auto block = [&](std::string_view name) { return FindBlock(custom, name); };
  const Slot kSup = Slot::kSupplier, kDs = Slot::kDataService, kMs = Slot::kMeteringService,
             kMdr = Slot::kMdr;
  if (iface == "IF-001") {
    return Appoint(block("B002"), kSup, "incomingSupplierDIPID", "supplierEffectiveFromDate",
                   facts);
  }
  if (iface == "IF-035" && event == "[SDS-MDROutcome]") {
    Block response = block("B099");
    dom::element code;
    std::string_view value;
    if (response.present && Member(response.value, "responseCode", &code) &&
        !code.get_string().get(value) && value != "A") {
      return dip::Status::Ok();  // a rejected nomination changes nothing
    }
    return Appoint(block("B092"), kMdr, "assignedMDRDIPID", "assignedMDREffectiveFromDate", facts);
  }
  if (iface == "IF-036" && event == "[DSAppActive]") {
    for (dip::Status s : {Appoint(block("B015"), kDs, "incomingDataServiceDIPID",
                                  "incomingDataServiceEffectiveFromDate", facts),
                          Appoint(block("B016"), kMs, "incomingMeteringServiceDIPID",
                                  "incomingMeteringServiceEffectiveFromDate", facts),
                          Appoint(block("B019"), kMdr, "assignedMDRDIPID",
                                  "assignedMDREffectiveFromDate", facts)}) {
      if (!s.ok()) return s;
    }
    return dip::Status::Ok();
  }
  if (iface == "IF-036" && event == "[MSAppActive]") {
    for (dip::Status s : {Appoint(block("B014"), kMs, "incomingMeteringServiceDIPID",
                                  "incomingMeteringServiceEffectiveFromDate", facts),
                          Appoint(block("B017"), kDs, "incomingDataServiceDIPID",
                                  "incomingDataServiceEffectiveFromDate", facts)}) {
      if (!s.ok()) return s;
    }
    return dip::Status::Ok();
  }
  if (iface == "IF-037") {
    const bool ds = event == "[DSDeApp]" || event == "[DSDeAppUpdate]";
    for (dip::Status s : {ds ? Vacate(block("B009"), kDs, "deAppointedDataServiceDIPID",
                                      "dataServiceEffectiveToDate", facts)
                             : Vacate(block("B008"), kMs, "deAppointedMeteringServiceDIPID",
                                      "meteringServiceEffectiveToDate", facts),
                          ds ? Appoint(block("B011"), kDs, "incomingDataServiceDIPID",
                                       "incomingDataServiceEffectiveFromDate", facts)
                             : Appoint(block("B010"), kMs, "incomingMeteringServiceDIPID",
                                       "incomingMeteringServiceEffectiveFromDate", facts)}) {
      if (!s.ok()) return s;
    }
    return dip::Status::Ok();
  }
  if (iface == "IF-061") {
    Block b019 = block("B019");
    if (!b019.present) return Missing("B019", "required block missing");
    if (dip::Status s =
            Appoint(b019, kMdr, "assignedMDRDIPID", "assignedMDREffectiveFromDate", facts);
        !s.ok()) {
      return s;
    }
    facts->assigned_mdr = facts->changes.back().party;
    return dip::Status::Ok();
  }
  if (iface == "IF-063") {
    Block b083 = block("B083");
    if (!b083.present) return Missing("B083", "required block missing");
    return Vacate(b083, kMdr, "assignedMDRDIPID", "assignedMDREffectiveToDate", facts);
  }
  return dip::Status::Ok();
}

}  // namespace

bool CarriesFacts(std::string_view interface_id, std::string_view event_code) {
  return interface_id == "IF-001" || interface_id == "IF-036" || interface_id == "IF-037" ||
         interface_id == "IF-061" || interface_id == "IF-063" ||
         (interface_id == "IF-035" && event_code == "[SDS-MDROutcome]");
}

dip::Result<RoutingFacts> ExtractFacts(std::string_view raw_item, std::string_view interface_id,
                                       std::string_view event_code) {
  RoutingFacts facts;
  if (!CarriesFacts(interface_id, event_code)) return facts;
  thread_local dom::parser parser;
  dom::element root, payload, custom;
  if (parser.parse(raw_item.data(), raw_item.size()).get(root)) {
    return dip::Status::Dip(dip::codes::kSchemaFailure, "payload: not valid JSON");
  }
  if (!Member(root, "payload", &payload) || !Member(payload, "CustomBlock", &custom) ||
      !custom.is_object()) {
    return dip::Status::Dip(dip::codes::kSchemaFailure,
                            "payload.CustomBlock: required for routing, expected an object");
  }
  if (dip::Status s = Extract(custom, interface_id, event_code, &facts); !s.ok()) return s;
  return facts;
}

std::optional<std::string> PrincipalMpan(std::string_view raw_item) {
  thread_local dom::parser parser;
  dom::element root, v;
  std::string_view mpan;
  if (parser.parse(raw_item.data(), raw_item.size()).get(root) || !Member(root, "payload", &v) ||
      !Member(v, "CommonBlock", &v) || !Member(v, "M1", &v) || !Member(v, "principalMPAN", &v) ||
      v.get_string().get(mpan)) {
    return std::nullopt;
  }
  return std::string(mpan);
}

}  // namespace diphub::routing
