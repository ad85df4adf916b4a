// Level-1 checks of the envelope essentials that need no participant registry: interface and
// event from the catalogue, S1 formats, environment tag. Registry checks (sender, role,
// connection provider, recipients) are done by the broker's ingest, which owns the registry.
// The full schema walk generated from the spec is the conformance layer's job.
#pragma once

#include <string_view>

#include "dip/envelope.h"
#include "dip/status.h"

namespace diphub::dip {

struct L1Options {
  std::string_view path_interface;   // canonical interface of POST /dip-channel/{id}
  std::string_view environment_tag;  // the one tag this hub accepts, e.g. "DEV"
};

// The first rule the envelope breaks, with its MSG code, or OK.
Status CheckEnvelope(const Envelope& env, const L1Options& options);

}  // namespace diphub::dip
