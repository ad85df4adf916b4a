// The level-1 schema walk: one DIP message checked against the schema the spec gives its event,
// from the tables tools/gen_catalogue.py generates (generated/schema_data.cc), over simdjson
// On-Demand without building a DOM. Field names match case-insensitively, as the DIP allows.
//
// The first rule broken is returned with its MSG code and a help text naming the JSON path and
// the rule, e.g. `S1.senderTimestamp: expected a string of 25 characters, got "2025-01-01"`.
// Codes: a field of S0/S1/A0 with its own MSG code (S0.interfaceID MSG1002, S1.senderTimestamp
// MSG1007, S1.senderDIPID MSG1009, S1.senderRoleID MSG1010, S1.DIPConnectionProviderID MSG1011,
// S1.senderCorrelationID MSG1012, A0.primaryRecipients MSG1031, A0.secondaryRecipients
// MSG1033, A0.always MSG1035) gets that code; every other failure is MSG1001.
//
// Where the spec lists an event in more than one variant of an interface's `oneOf`, the oneOf
// is resolved by S0.eventCode: the message is checked against the event's own schema, the one
// the spec's POST /validate/{IF}/{EventCode} path names (IF-020 [RelatedAdd] against
// IF-020-RelatedAdd, not also IF-020-RelatedCreate, whose eventCode enum lists it too). Without
// such a schema it must match exactly one of them (JSON Schema oneOf).
#pragma once

#include <string_view>

#include "dip/status.h"

namespace diphub::dip {

// Checks `message` (one array element, {"payload": {...}}, exactly as received) against the
// schema of (`interface_id`, `event_code`). `interface_id` must be canonical. An event the
// catalogue does not list is a schema failure. Copies the message once into a padded
// thread-local buffer. ParseMessageArray with L1Options runs the same walk inside its own pass
// and calls this only for an event several variants list. Thread-safety: safe from any thread.
Status CheckMessageSchema(std::string_view message, std::string_view interface_id,
                          std::string_view event_code);

}  // namespace diphub::dip
