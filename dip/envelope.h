// Zero-copy-on-ingress view of a DIP message array: one pass of simdjson On-Demand over the body
// pulls out the envelope facts that level-1 checks and routing need (S0, S1, M0, A0),
// validates the rest of each message as JSON and, when asked, checks its schema, without
// building a DOM (dip/message_walk.h is the walk).
//
// Field names are matched case-insensitively, as the DIP does on ingress. Values are kept
// exactly as sent. Every string field records whether it was missing, null, a string, or some
// other JSON type, so the rules in l1.h can name precisely what was wrong.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dip/status.h"

namespace diphub::dip {

struct StrField {
  enum class State { kMissing, kNull, kString, kOther };
  State state = State::kMissing;
  std::string value;

  bool is_string() const { return state == State::kString; }
  std::optional<std::string> opt() const {
    return is_string() ? std::optional<std::string>(value) : std::nullopt;
  }
};

struct Envelope {
  bool has_s0 = false, has_s1 = false, has_m0 = false, has_a0 = false, has_r0 = false;
  bool has_custom_block = false;
  // S0
  StrField interface_id, schema_version, event_code;
  // S1
  StrField environment_tag, sub_text, sender_unique_reference, sender_timestamp, sender_dip_id,
      sender_role_id, sender_correlation_id, connection_provider_id;
  // M0
  StrField mpan_core, distributor_dip_id;
  // R0 (responses): "A" accepted, "R" rejected, ...
  StrField response_code;
  // A0.primaryRecipients (strings only; anything else is a schema failure recorded in `status`)
  bool primary_recipients_present = false;
  std::vector<std::string> primary_recipients;
  // The array element exactly as received: {"payload": {...}}.
  std::string_view raw;
};

struct ParsedItem {
  Envelope envelope;
  Status status;  // a structural failure of this message (MSG1001), else OK
};

// A well-formed array is read message by message until kMaxItemFailures of them have failed: the
// array is refused as a whole by then, so the rest is not examined (a 15 MB body of 5 million
// `{}` costs one envelope per examined message, not 5 million).
inline constexpr std::size_t kMaxItemFailures = 100;

struct ParsedArray {
  Status status;  // a failure of the body as a whole (not JSON, not an array, empty)
  std::vector<ParsedItem> items;
  // Messages after the kMaxItemFailures-th failing one, not examined and not in `items`.
  std::size_t unexamined = 0;
};

struct L1Options;  // dip/l1.h

// Parses `body` (the request body of POST /dip-channel/{id}) in one On-Demand pass: each message
// is walked once, which checks it is well-formed JSON, applies the envelope's structural rules
// and fills its `Envelope`. With `level1`, the same walk checks the message against the schema
// of its event, and each item's status is its whole level-1 verdict without the registry (what
// CheckMessage in l1.h returns, the same code and text); without, only the structural one.
// The returned views point into `body`, which must outlive the result. Copies `body` once into
// `scratch` only when its capacity lacks simdjson's padding. A body holding malformed JSON is
// read again message by message (each message parsed alone), so one broken message fails
// alone. Thread-safety: uses thread-local parsers; safe from any thread.
ParsedArray ParseMessageArray(const std::string& body, std::string* scratch,
                              const L1Options* level1 = nullptr);

// Bytes a body's buffer should hold past its end (simdjson's padding): a body whose capacity
// has them is parsed in place, without the copy into `scratch`.
inline constexpr std::size_t kBodyPadding = 64;

// Maximum nesting accepted inside one message (deeper input is a schema failure).
inline constexpr int kMaxJsonDepth = 64;

}  // namespace diphub::dip
