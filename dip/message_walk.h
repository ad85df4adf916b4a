// The one pass over a DIP message: a single walk of simdjson On-Demand over one array element
// that checks it is well-formed JSON, applies the envelope's structural rules, fills the
// `Envelope` (S0, S1, M0, A0, R0 facts), and, when given the schema of the message's event,
// checks the message against it in the same walk.
//
// Verdicts are those of the three passes this replaces (envelope parse, envelope rules, schema
// walk): a structural failure anywhere in the message (malformed JSON, nesting, a block that is
// not an object or appears twice, a key given twice in any object (KeySet, case-insensitively),
// A0.primaryRecipients not an array of DIP IDs) wins over any
// schema failure; the schema failure kept is the first one in document order. The walk goes on
// after a schema failure (with the schema rules off) so that a later structural failure still
// wins, exactly as when the envelope parse ran first.
//
// Thread-safety: stateless functions; the On-Demand values belong to the caller's parser.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "dip/envelope.h"
#include "dip/status.h"

namespace diphub::dip {

// No schema node: the walk checks structure (and the envelope) only.
inline constexpr std::uint32_t kNoSchema = UINT32_MAX;

struct WalkResult {
  Status structure;  // the first structural failure (the walk stopped there), else OK
  Status schema;     // the first schema failure, else OK (only when a root was given)
};

// Walks `item` (an array element's object). With `envelope_rules`, applies the envelope's
// structural rules and fills `env` (its `raw` is left to the caller); without them (a plain
// schema check of a message already parsed), only finds "payload" and walks it. `root` is the
// schema node of the message's event variant, or kNoSchema.
WalkResult WalkMessage(simdjson::ondemand::object item, std::uint32_t root, bool envelope_rules,
                       Envelope* env);

// The event code a message names at payload.CommonBlock.S0.eventCode (first match of each name,
// case-insensitively), read without unescaping anything, then `item` rewound to its start.
// nullopt when not found or escaped; `*error` is set when On-Demand reported an error (the
// iterator may then be unusable).
std::optional<std::string_view> PeekEventCode(simdjson::ondemand::object& item, bool* error);

// The schema root of (`interface_id`, `event_code`) when exactly one variant of the interface
// lists the event, else kNoSchema (unknown event, or a oneOf of several: CheckMessageSchema).
std::uint32_t SingleSchemaRoot(std::string_view interface_id, std::string_view event_code);

}  // namespace diphub::dip
