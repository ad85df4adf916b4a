// libFuzzer target: the body of POST /dip-channel/IF-061 as an attacker sends it. Parses the
// message array, runs the level-1 checks on every message that parsed, and renders each as the
// hub would publish it. Invariants checked: a rendered publication is valid JSON, and the one
// walk of ParseMessageArray with level-1 options gives each message the verdict of the
// separate passes (envelope parse, then CheckMessage).
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dip/egress.h"
#include "dip/envelope.h"
#include "dip/l1.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace dip = diphub::dip;
  // An exact-size string: ParseMessageArray must cope with a body lacking simdjson's padding.
  const std::string body(reinterpret_cast<const char*>(data), size);
  std::string scratch;
  dip::ParsedArray parsed = dip::ParseMessageArray(body, &scratch);
  const dip::L1Options options{.path_interface = "IF-061", .environment_tag = "DEV"};
  std::string one_scratch;
  const dip::ParsedArray one = dip::ParseMessageArray(body, &one_scratch, &options);
  auto mismatch = [&](const char* what) {
    std::fprintf(stderr, "one walk and separate passes differ (%s) on:\n%s\n", what, body.c_str());
    std::abort();
  };
  if (one.status.code() != parsed.status.code() || one.status.help() != parsed.status.help() ||
      one.items.size() != parsed.items.size() || one.unexamined != parsed.unexamined) {
    mismatch("body");
  }
  if (!parsed.status.ok()) return 0;

  for (std::size_t i = 0; i < parsed.items.size(); ++i) {
    const dip::ParsedItem& item = parsed.items[i];
    const dip::Status separate =
        item.status.ok() ? dip::CheckMessage(item.envelope, options) : item.status;
    if (one.items[i].status.code() != separate.code() ||
        one.items[i].status.help() != separate.help() ||
        one.items[i].envelope.raw != item.envelope.raw) {
      mismatch("message");
    }
    if (!item.status.ok()) continue;

    dip::Addressing a0;
    a0.primary_recipients = item.envelope.primary_recipients;
    a0.always = {"1400000001"};
    dip::DipBlock d0;
    d0.transaction_id = "TX-20261122-000000000001";
    d0.transaction_timestamp = "2026-11-22T09:30:00+00:00";
    d0.publication_id = "PUB-061";
    d0.initial_correlation_id = item.envelope.sender_correlation_id.opt();
    std::string out;
    if (!dip::AppendEgressMessage(item.envelope.raw, a0, d0, &out).ok()) continue;

    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (auto e = parser.parse(out).get(doc)) {
      std::fprintf(stderr, "AppendEgressMessage rendered invalid JSON (%s):\n%s\n",
                   simdjson::error_message(e), out.c_str());
      std::abort();
    }
  }
  return 0;
}
