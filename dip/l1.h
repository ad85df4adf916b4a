// Level-1 checks that need no participant registry: interface and event from the catalogue,
// S1 formats, the hub's environment tag, then the whole message against the spec's schema for
// its event (schema_check.h). Registry checks (sender, role, connection provider, recipients)
// are done by the broker's ingest, which owns the registry.
#pragma once

#include <string_view>

#include "dip/envelope.h"
#include "dip/status.h"

namespace diphub::dip {

struct L1Options {
  std::string_view path_interface;   // canonical interface of POST /dip-channel/{id}
  std::string_view environment_tag;  // the one tag this hub accepts, e.g. "DEV"
};

// The first envelope rule `env` breaks (S0, S1, M0 essentials, the hub's environment tag), with
// its MSG code, or OK. Reads only the parsed envelope fields.
Status CheckEnvelope(const Envelope& env, const L1Options& options);

// CheckEnvelope, then the whole message (`env.raw`) against the spec's schema for its event:
// the full level-1 check without the registry, as a separate pass over the message. Ingest and
// POST /validate get the same verdict in the one walk of ParseMessageArray(body, scratch,
// &options). REQUIRES: `env` comes from ParseMessageArray and its body is still alive.
Status CheckMessage(const Envelope& env, const L1Options& options);

}  // namespace diphub::dip
