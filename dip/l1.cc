#include "dip/l1.h"

#include "dip/catalogue.h"
#include "dip/codes.h"
#include "dip/dip_time.h"
#include "dip/schema_check.h"

namespace diphub::dip {
namespace {

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Got(const StrField& f) {
  switch (f.state) {
    case StrField::State::kMissing:
      return "the field is missing";
    case StrField::State::kNull:
      return "got null";
    case StrField::State::kOther:
      return "got " + f.value;
    case StrField::State::kString:
      return "got " + Quoted(f.value);
  }
  return {};
}

// A required, non-null string of [min,max] characters.
Status RequireString(const StrField& f, std::string_view name, std::string_view code,
                     std::size_t min, std::size_t max) {
  if (f.state == StrField::State::kMissing) {
    return Status::Dip(code, std::string(name) + ": required field missing");
  }
  if (!f.is_string() || f.value.size() < min || f.value.size() > max) {
    std::string rule = min == max ? "expected a string of " + std::to_string(min) + " characters"
                                  : "expected a string of " + std::to_string(min) + " to " +
                                        std::to_string(max) + " characters";
    return Status::Dip(code, std::string(name) + ": " + rule + ", " + Got(f));
  }
  return Status::Ok();
}

// A required key whose value may be null, or a string of [min,max] characters.
Status NullableString(const StrField& f, std::string_view name, std::string_view code,
                      std::size_t min, std::size_t max) {
  if (f.state == StrField::State::kMissing) {
    return Status::Dip(codes::kSchemaFailure,
                       std::string(name) + ": required field missing (send null when absent)");
  }
  if (f.state == StrField::State::kNull) return Status::Ok();
  return RequireString(f, name, code, min, max);
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

Status CheckEnvelope(const Envelope& env, const L1Options& options) {
  if (!env.has_s0)
    return Status::Dip(codes::kSchemaFailure, "CommonBlock.S0: required block missing");
  if (!env.has_s1)
    return Status::Dip(codes::kSchemaFailure, "CommonBlock.S1: required block missing");

  // S0
  if (Status s = RequireString(env.interface_id, "S0.interfaceID", codes::kInterfaceInvalid, 6, 8);
      !s.ok()) {
    return s;
  }
  if (env.interface_id.value != options.path_interface) {
    return Status::Dip(codes::kInterfaceInvalid,
                       "S0.interfaceID: must equal the channel in the URL (" +
                           std::string(options.path_interface) + "), got " +
                           Quoted(env.interface_id.value));
  }
  if (Status s = RequireString(env.event_code, "S0.eventCode", codes::kSchemaFailure, 1, 50);
      !s.ok()) {
    return s;
  }
  const generated::EventRow* event = FindEvent(options.path_interface, env.event_code.value);
  if (event == nullptr) {
    return Status::Dip(codes::kSchemaFailure,
                       "S0.eventCode: " + Quoted(env.event_code.value) + " is not an event of " +
                           std::string(options.path_interface) + " in the DIP catalogue");
  }
  if (Status s =
          RequireString(env.schema_version, "S0.schemaVersion", codes::kSchemaFailure, 1, 10);
      !s.ok()) {
    return s;
  }
  if (!KnowsSchemaVersion(options.path_interface, env.schema_version.value)) {
    return Status::Dip(codes::kSchemaFailure,
                       "S0.schemaVersion: " + Quoted(env.schema_version.value) +
                           " is not a schema version of " + std::string(options.path_interface) +
                           " (expected " + Quoted(event->schema_version) + ")");
  }

  // S1
  if (Status s =
          RequireString(env.environment_tag, "S1.environmentTag", codes::kSchemaFailure, 3, 10);
      !s.ok()) {
    return s;
  }
  if (env.environment_tag.value != options.environment_tag) {
    return Status::Dip(codes::kSchemaFailure, "S1.environmentTag: this hub accepts " +
                                                  Quoted(options.environment_tag) + ", got " +
                                                  Quoted(env.environment_tag.value));
  }
  if (Status s = NullableString(env.sub_text, "S1.subText", codes::kSchemaFailure, 1, 500);
      !s.ok()) {
    return s;
  }
  if (Status s = RequireString(env.sender_unique_reference, "S1.senderUniqueReference",
                               codes::kSchemaFailure, 1, 200);
      !s.ok()) {
    return s;
  }
  if (env.sender_timestamp.state == StrField::State::kMissing) {
    return Status::Dip(codes::kTimestampInvalid, "S1.senderTimestamp: required field missing");
  }
  if (!env.sender_timestamp.is_string() || !IsDipTimestamp(env.sender_timestamp.value)) {
    return Status::Dip(codes::kTimestampInvalid,
                       "S1.senderTimestamp: expected YYYY-MM-DDThh:mm:ss\u00b1hh:mm, " +
                           Got(env.sender_timestamp));
  }
  if (Status s = RequireString(env.sender_dip_id, "S1.senderDIPID", codes::kSenderInvalid, 10, 10);
      !s.ok()) {
    return s;
  }
  if (Status s = RequireString(env.sender_role_id, "S1.senderRoleID", codes::kRoleInvalid, 3, 5);
      !s.ok()) {
    return s;
  }
  if (Status s = NullableString(env.sender_correlation_id, "S1.senderCorrelationID",
                                codes::kCorrelationInvalid, 1, 60);
      !s.ok()) {
    return s;
  }
  if (Status s = NullableString(env.connection_provider_id, "S1.DIPConnectionProviderID",
                                codes::kConnectionProviderInvalid, 10, 10);
      !s.ok()) {
    return s;
  }

  // M0, where the catalogue requires it.
  if ((event->required_blocks & generated::kM0) != 0 && !env.has_m0) {
    return Status::Dip(codes::kSchemaFailure, "CommonBlock.M0: required block missing for " +
                                                  std::string(options.path_interface));
  }
  if (env.has_m0) {
    if (Status s = RequireString(env.mpan_core, "M0.MPANCore", codes::kSchemaFailure, 13, 13);
        !s.ok()) {
      return s;
    }
    if (!AllDigits(env.mpan_core.value)) {
      return Status::Dip(codes::kSchemaFailure,
                         "M0.MPANCore: expected 13 digits, got " + Quoted(env.mpan_core.value));
    }
  }
  if ((event->required_blocks & generated::kR0) != 0 && !env.has_r0) {
    return Status::Dip(codes::kSchemaFailure, "CommonBlock.R0: required block missing for " +
                                                  std::string(options.path_interface));
  }
  if ((event->required_blocks & generated::kCustomBlock) != 0 && !env.has_custom_block) {
    return Status::Dip(codes::kSchemaFailure, "payload.CustomBlock: required block missing");
  }
  return Status::Ok();
}

Status CheckMessage(const Envelope& env, const L1Options& options) {
  if (Status s = CheckEnvelope(env, options); !s.ok()) return s;
  return CheckMessageSchema(env.raw, options.path_interface, env.event_code.value);
}

}  // namespace diphub::dip
