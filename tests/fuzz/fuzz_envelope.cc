// libFuzzer target: the body of POST /dip-channel/IF-061 as an attacker sends it. Parses the
// message array, runs the level-1 checks on every message that parsed, and renders each as the
// hub would publish it. Invariant checked: a rendered publication is valid JSON.
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
  if (!parsed.status.ok()) return 0;

  const dip::L1Options options{.path_interface = "IF-061", .environment_tag = "DEV"};
  for (const dip::ParsedItem& item : parsed.items) {
    if (!item.status.ok()) continue;
    (void)dip::CheckMessage(item.envelope, options);

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
