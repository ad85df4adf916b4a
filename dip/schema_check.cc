#include "dip/schema_check.h"

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <string>

#include "dip/catalogue.h"
#include "dip/catalogue_data.h"
#include "dip/codes.h"
#include "dip/envelope.h"
#include "dip/message_walk.h"

namespace diphub::dip {
namespace od = simdjson::ondemand;
namespace gen = generated;
namespace {

// Walks `message` against one variant's schema (dip/message_walk.h, without envelope rules).
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
  Envelope unused;
  WalkResult walk = WalkMessage(item, root, false, &unused);
  return walk.structure.ok() ? std::move(walk.schema) : std::move(walk.structure);
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
