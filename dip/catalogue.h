// Look-ups over the generated catalogue: which interfaces exist, which event codes and schema
// versions each accepts, and the publication an interface is delivered as.
// Thread-safety: all functions are pure; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dip/catalogue_data.h"

namespace diphub::dip {

// Canonical interface ID ("IF-061") for a path or field value compared case-insensitively,
// or nullopt when the spec has no such interface.
std::optional<std::string_view> CanonicalInterface(std::string_view id);

// The catalogue row for (interface, event code), or nullptr. `interface_id` must be canonical.
const generated::EventRow* FindEvent(std::string_view interface_id, std::string_view event_code);

// Every generated::kEvents index for (interface, event code), in catalogue order: more than one
// where the spec lists the event in several variants of the interface's oneOf. Empty when none.
std::span<const std::uint32_t> FindEventRows(std::string_view interface_id,
                                             std::string_view event_code);

// The schema the spec's POST /validate/{IF}/{EventCode} path names for the event (the event's
// own variant, e.g. "IF-020-RelatedAdd"), or nullptr when it has no such path or the path names
// the interface's whole oneOf. `interface_id` must be canonical.
const char* OwnVariant(std::string_view interface_id, std::string_view event_code);

// Whether the spec has a POST /validate/{IF}/{EventCode} path for the event ("[MDRStart]").
// `interface_id` must be canonical.
bool HasValidatePath(std::string_view interface_id, std::string_view event_code);

// The role codes the spec's schemas allow as S1.senderRoleID on the interface: the union of
// the `enum` of that field over the interface's variants, in the spec's order; empty when the
// schema constrains it by length only (DT-009 in v2.1.0, for every interface). Read from the
// generated schema tables once. `interface_id` must be canonical.
const std::vector<std::string_view>& SchemaSenderRoles(std::string_view interface_id);

// True when the spec lists `version` for any event of the interface.
bool KnowsSchemaVersion(std::string_view interface_id, std::string_view version);

// "IF-061" -> "PUB-061"; reports ("REP-002A") are published under their own ID.
std::string PublicationId(std::string_view interface_id);

// Positions in the generated tables, for metric label tables indexed without a map.
// REQUIRES: `row` points into generated::kEvents.
std::size_t EventIndex(const generated::EventRow* row);
// The position of a canonical interface ID in generated::kInterfaces, or nullopt.
std::optional<std::size_t> InterfaceIndex(std::string_view interface_id);

// Accepts "IF-061" or "PUB-061" (any case) and returns the canonical interface ID.
std::optional<std::string_view> ChannelInterface(std::string_view channel);

}  // namespace diphub::dip
