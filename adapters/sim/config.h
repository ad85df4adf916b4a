// Typed configuration of the sim adapter (the "sim:" section): the simulated participants and
// their knobs, validated once at start-up.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "dip/status.h"

namespace diphub::adapters::sim {

enum class Behaviour { kMdr, kSds, kRegs };

// A window, measured from the adapter's start, during which deliveries to the participant fail.
struct Outage {
  std::chrono::milliseconds after{0};     // start of the window
  std::chrono::milliseconds duration{0};  // length of the window
};

struct SimParticipantConfig {
  std::string dip_id;  // a participant of the hub's configuration with `adapter: sim`
  Behaviour behaviour = Behaviour::kMdr;
  std::chrono::milliseconds latency{0};  // before each answer and each delivery. Default: 0
  double reject_rate = 0;       // MDR: share of IF-061 rejected at random (0..1). Default: 0
  double malformed_rate = 0;    // share of sent messages broken on purpose (0..1). Default: 0
  std::vector<Outage> outages;  // deliveries fail inside these windows. Default: none
  // MDR: IF-064 for every MPAN it collects, at this interval; 0 = only when asked. Default: 0
  std::chrono::milliseconds consumption_every{0};
  // MDR: MPANs it collects from the start; REGS: MPANs it appoints at start. Default: none
  std::vector<std::string> mpans;
  // MDR: IF-061 for these MPANs is rejected with reject_code. Default: none
  std::vector<std::string> reject_mpans;
  std::string reject_code = "SP099 - Other";  // R0.responseMessages of a rejection. Default: SP099
  // REGS: the data service and MDR its start-up PUB-036 appoints. Default: "" (none sent)
  std::string appoint_ds, appoint_mdr;
};

struct SimConfig {
  std::uint64_t seed = 1;  // seeds the rates, per participant. Default: 1
  std::vector<SimParticipantConfig> participants;
};

// Reads `node` (may be undefined: no simulated participants).
dip::Result<SimConfig> ParseSimConfig(const YAML::Node& node);

// A configuration error "<where>: <what>" (the sim section, scenario files).
dip::Status ConfigError(const std::string& where, const std::string& what);

std::string_view BehaviourName(Behaviour b);

}  // namespace diphub::adapters::sim
