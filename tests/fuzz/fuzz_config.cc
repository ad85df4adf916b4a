// libFuzzer target: a configuration file (diphub --config), and the participant documents the
// admin API accepts. Each participant of a configuration that parsed goes through the path the
// hub uses to persist run-time changes (ParticipantToYaml, stored; YAML::Load and
// ParticipantFromYaml at the next start). Invariants: no exception escapes the parser, and the
// stored text loads back to the same participant.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tuple>

#include "broker/config.h"

namespace {

namespace broker = diphub::broker;
namespace routing = diphub::routing;

std::string Escaped(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out + "\"";
}

// The first field where `a` and `b` differ, described; empty when they are the same.
std::string Difference(const routing::Participant& a, const routing::Participant& b) {
  for (auto [name, x, y] :
       {std::tuple{"dip_id", &a.dip_id, &b.dip_id}, std::tuple{"role", &a.role, &b.role},
        std::tuple{"mpid", &a.mpid, &b.mpid}, std::tuple{"api_key", &a.api_key, &b.api_key},
        std::tuple{"certificate", &a.certificate_pem, &b.certificate_pem},
        std::tuple{"adapter", &a.adapter, &b.adapter}}) {
    if (*x != *y) return std::string(name) + ": " + Escaped(*x) + " became " + Escaped(*y);
  }
  if (a.webhooks.size() != b.webhooks.size()) return "webhooks: a different number";
  for (const auto& [channel, w] : a.webhooks) {
    auto it = b.webhooks.find(channel);
    if (it == b.webhooks.end()) return "webhooks: " + Escaped(channel) + " lost";
    if (it->second.url != w.url) {
      return "webhooks." + channel + ".url: " + Escaped(w.url) + " became " +
             Escaped(it->second.url);
    }
    if (it->second.max_messages != w.max_messages || it->second.max_bytes != w.max_bytes) {
      return "webhooks." + channel + ": limits changed";
    }
  }
  return "";
}

void RoundTrip(const routing::Participant& p) {
  const std::string stored = broker::ParticipantToYaml(p);
  YAML::Node node;
  try {
    node = YAML::Load(stored);
  } catch (const YAML::Exception& e) {
    std::fprintf(stderr, "ParticipantToYaml wrote YAML that does not load (%s):\n%s\n", e.what(),
                 stored.c_str());
    std::abort();
  }
  auto back = broker::ParticipantFromYaml(node, "stored participant");
  if (!back.ok()) {
    std::fprintf(stderr, "ParticipantToYaml wrote a participant that does not load (%s):\n%s\n",
                 back.status().ToString().c_str(), stored.c_str());
    std::abort();
  }
  if (std::string diff = Difference(p, back.value()); !diff.empty()) {
    std::fprintf(stderr,
                 "participant changed by ParticipantToYaml + ParticipantFromYaml: %s\n"
                 "stored text:\n%s\n",
                 diff.c_str(), stored.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // Any exception escaping ParseConfig is a bug (diphub would die on a bad --config); libFuzzer
  // reports it as a crash (std::terminate).
  diphub::dip::Result<broker::Config> config = broker::ParseConfig(text, "fuzz");
  if (!config.ok()) return 0;
  for (const routing::Participant& p : config.value().participants) RoundTrip(p);
  return 0;
}
