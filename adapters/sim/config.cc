#include "adapters/sim/config.h"

#include "broker/config.h"
#include "routing/registry.h"

namespace diphub::adapters::sim {

dip::Status ConfigError(const std::string& where, const std::string& what) {
  return dip::Status::Config(where + ": " + what);
}

namespace {

dip::Status ReadMpans(const YAML::Node& node, const std::string& where,
                      std::vector<std::string>* out) {
  if (!node) return dip::Status::Ok();
  if (!node.IsSequence()) return ConfigError(where, "expected a list of 13-digit MPAN cores");
  for (const auto& m : node) {
    std::string mpan = m.as<std::string>();
    bool digits = mpan.size() == 13;
    for (char c : mpan) digits = digits && c >= '0' && c <= '9';
    if (!digits) return ConfigError(where, "\"" + mpan + "\" is not a 13-digit MPAN core");
    out->push_back(std::move(mpan));
  }
  return dip::Status::Ok();
}

dip::Status ReadRate(const YAML::Node& node, const char* key, const std::string& where,
                     double* out) {
  if (!node[key]) return dip::Status::Ok();
  *out = node[key].as<double>();
  if (!(*out >= 0 && *out <= 1)) return ConfigError(where + "." + key, "must be from 0 to 1");
  return dip::Status::Ok();
}

dip::Result<SimParticipantConfig> ParseParticipant(const YAML::Node& node,
                                                   const std::string& where) {
  if (auto s = broker::CheckKeys(node,
                                 {"dip_id", "behaviour", "latency_ms", "reject_rate",
                                  "malformed_rate", "outages", "consumption_every_ms", "mpans",
                                  "reject_mpans", "reject_code", "appoint_ds", "appoint_mdr"},
                                 where);
      !s.ok()) {
    return s;
  }
  SimParticipantConfig p;
  if (!node["dip_id"]) return ConfigError(where + ".dip_id", "required");
  p.dip_id = node["dip_id"].as<std::string>();
  if (!routing::IsValidDipId(p.dip_id)) {
    return ConfigError(where + ".dip_id",
                       "\"" + p.dip_id + "\" is not a DIP ID (10 digits/letters)");
  }
  std::string behaviour = node["behaviour"] ? node["behaviour"].as<std::string>() : "";
  if (behaviour == "MDR") {
    p.behaviour = Behaviour::kMdr;
  } else if (behaviour == "SDS") {
    p.behaviour = Behaviour::kSds;
  } else if (behaviour == "REGS") {
    p.behaviour = Behaviour::kRegs;
  } else {
    return ConfigError(where + ".behaviour",
                       "expected MDR, SDS or REGS, got \"" + behaviour + "\"");
  }
  if (node["latency_ms"]) p.latency = std::chrono::milliseconds(node["latency_ms"].as<long long>());
  if (p.latency.count() < 0) return ConfigError(where + ".latency_ms", "must not be negative");
  if (auto s = ReadRate(node, "reject_rate", where, &p.reject_rate); !s.ok()) return s;
  if (auto s = ReadRate(node, "malformed_rate", where, &p.malformed_rate); !s.ok()) return s;
  if (node["consumption_every_ms"]) {
    p.consumption_every = std::chrono::milliseconds(node["consumption_every_ms"].as<long long>());
    if (p.consumption_every.count() < 0) {
      return ConfigError(where + ".consumption_every_ms", "must not be negative");
    }
  }
  if (auto s = ReadMpans(node["mpans"], where + ".mpans", &p.mpans); !s.ok()) return s;
  if (auto s = ReadMpans(node["reject_mpans"], where + ".reject_mpans", &p.reject_mpans); !s.ok()) {
    return s;
  }
  if (node["reject_code"]) p.reject_code = node["reject_code"].as<std::string>();
  if (node["appoint_ds"]) p.appoint_ds = node["appoint_ds"].as<std::string>();
  if (node["appoint_mdr"]) p.appoint_mdr = node["appoint_mdr"].as<std::string>();
  if (const YAML::Node outages = node["outages"]) {
    if (!outages.IsSequence()) return ConfigError(where + ".outages", "expected a list");
    for (std::size_t i = 0; i < outages.size(); ++i) {
      std::string at = where + ".outages[" + std::to_string(i) + "]";
      if (auto s = broker::CheckKeys(outages[i], {"after_ms", "for_ms"}, at); !s.ok()) return s;
      Outage o;
      if (outages[i]["after_ms"]) {
        o.after = std::chrono::milliseconds(outages[i]["after_ms"].as<long long>());
      }
      if (!outages[i]["for_ms"]) return ConfigError(at + ".for_ms", "required");
      o.duration = std::chrono::milliseconds(outages[i]["for_ms"].as<long long>());
      if (o.after.count() < 0 || o.duration.count() <= 0) {
        return ConfigError(at, "after_ms must not be negative and for_ms must be positive");
      }
      p.outages.push_back(o);
    }
  }
  return p;
}

dip::Result<SimConfig> Parse(const YAML::Node& node) {
  SimConfig c;
  if (!node || node.IsNull()) return c;
  if (auto s = broker::CheckKeys(node, {"seed", "participants"}, "sim"); !s.ok()) return s;
  if (node["seed"]) c.seed = node["seed"].as<std::uint64_t>();
  const YAML::Node list = node["participants"];
  if (list && !list.IsSequence()) return ConfigError("sim.participants", "expected a list");
  for (std::size_t i = 0; list && i < list.size(); ++i) {
    auto p = ParseParticipant(list[i], "sim.participants[" + std::to_string(i) + "]");
    if (!p.ok()) return p.status();
    for (const SimParticipantConfig& q : c.participants) {
      if (q.dip_id == p.value().dip_id) {
        return ConfigError("sim.participants", "DIP ID " + q.dip_id + " is listed twice");
      }
    }
    c.participants.push_back(std::move(p).value());
  }
  return c;
}

}  // namespace

std::string_view BehaviourName(Behaviour b) {
  switch (b) {
    case Behaviour::kMdr:
      return "MDR";
    case Behaviour::kSds:
      return "SDS";
    case Behaviour::kRegs:
      return "REGS";
  }
  return "?";
}

dip::Result<SimConfig> ParseSimConfig(const YAML::Node& node) {
  try {
    return Parse(node);
  } catch (const YAML::Exception& e) {
    return ConfigError("sim", std::string("a value has the wrong type (") + e.what() + ")");
  }
}

}  // namespace diphub::adapters::sim
