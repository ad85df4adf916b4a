// The `routing` section of the configuration (docs/configuration.md#routing).
#include <thread>

#include "broker/config.h"
#include "dip/catalogue.h"
#include "routing/registry.h"

namespace diphub::broker {
namespace {

dip::Status Bad(const std::string& where, const std::string& what) {
  return dip::Status::Config(where + ": " + what);
}

dip::Result<std::string> Scalar(const YAML::Node& n, const std::string& where) {
  if (!n || !n.IsScalar()) return Bad(where, "expected a value");
  return n.as<std::string>();
}

// A participant DIP ID that must be registered, in `role` when given.
dip::Status RegisteredId(const std::string& id, const std::vector<routing::Participant>& ps,
                         std::string_view role, const std::string& where) {
  for (const routing::Participant& p : ps) {
    if (p.dip_id != id) continue;
    if (!role.empty() && p.role != role) {
      return Bad(where, "\"" + id + "\" is registered as " + p.role + ", not " + std::string(role));
    }
    return dip::Status::Ok();
  }
  return Bad(where, "\"" + id + "\" is not a participant of this configuration");
}

dip::Status ReadBool(const YAML::Node& n, const char* key, const std::string& where, bool* out) {
  if (!n[key]) return dip::Status::Ok();
  try {
    *out = n[key].as<bool>();
  } catch (const YAML::Exception&) {
    return Bad(where + "." + key, "expected true or false");
  }
  return dip::Status::Ok();
}

}  // namespace

std::size_t ShardCount(const HubOptions& hub) {
  if (hub.shards > 0) return hub.shards;
  return std::max(1u, std::thread::hardware_concurrency());
}

dip::Status ParseRoutingSection(const YAML::Node& node,
                                const std::vector<routing::Participant>& participants,
                                RoutingOptions* out) {
  if (dip::Status s = CheckKeys(node,
                                {"queue_capacity", "appointments_csv", "always", "pairings",
                                 "mdr_opt_in", "publications", "appoint_unknown_mpans"},
                                "routing");
      !s.ok()) {
    return s;
  }
  if (!node || node.IsNull()) return dip::Status::Ok();
  try {
    if (node["queue_capacity"]) out->queue_capacity = node["queue_capacity"].as<std::size_t>();
  } catch (const YAML::Exception&) {
    return Bad("routing.queue_capacity", "expected a whole number");
  }
  if (out->queue_capacity < 16 || out->queue_capacity > 65534) {
    return Bad("routing.queue_capacity", "must be 16 to 65534");
  }
  if (node["appointments_csv"]) {
    auto v = Scalar(node["appointments_csv"], "routing.appointments_csv");
    if (!v.ok()) return v.status();
    out->appointments_csv = v.value();
  }
  routing::Policy& policy = out->policy;
  if (dip::Status s =
          ReadBool(node, "appoint_unknown_mpans", "routing", &policy.appoint_unknown_mpans);
      !s.ok()) {
    return s;
  }

  if (const YAML::Node always = node["always"]) {
    if (!always.IsMap()) return Bad("routing.always", "expected a mapping of interface to DIP IDs");
    for (const auto& kv : always) {
      const std::string key = kv.first.as<std::string>();
      const std::string where = "routing.always." + key;
      auto iface = dip::ChannelInterface(key);
      if (!iface) return Bad(where, "not a DIP interface");
      if (!kv.second.IsSequence()) return Bad(where, "expected a list of DIP IDs");
      std::vector<std::string>& ids = policy.always[std::string(*iface)];
      for (const auto& id : kv.second) {
        auto v = Scalar(id, where);
        if (!v.ok()) return v.status();
        if (dip::Status s = RegisteredId(v.value(), participants, "", where); !s.ok()) return s;
        ids.push_back(v.value());
      }
    }
  }

  if (const YAML::Node pairings = node["pairings"]) {
    if (!pairings.IsSequence()) return Bad("routing.pairings", "expected a list of {sds, mdr}");
    for (std::size_t i = 0; i < pairings.size(); ++i) {
      const std::string where = "routing.pairings[" + std::to_string(i) + "]";
      if (dip::Status s = CheckKeys(pairings[i], {"sds", "mdr"}, where); !s.ok()) return s;
      auto sds = Scalar(pairings[i]["sds"], where + ".sds");
      if (!sds.ok()) return sds.status();
      auto mdr = Scalar(pairings[i]["mdr"], where + ".mdr");
      if (!mdr.ok()) return mdr.status();
      if (dip::Status s = RegisteredId(sds.value(), participants, "SDS", where + ".sds"); !s.ok())
        return s;
      if (dip::Status s = RegisteredId(mdr.value(), participants, "MDR", where + ".mdr"); !s.ok())
        return s;
      policy.pairings.emplace(sds.value(), mdr.value());
    }
  }

  if (const YAML::Node pubs = node["publications"]) {
    if (!pubs.IsMap()) return Bad("routing.publications", "expected a mapping by interface");
    for (const auto& kv : pubs) {
      const std::string key = kv.first.as<std::string>();
      const std::string where = "routing.publications." + key;
      auto iface = dip::ChannelInterface(key);
      if (!iface) return Bad(where, "not a DIP interface");
      if (dip::Status s = CheckKeys(
              kv.second, {"senders", "receivers", "by_mpan", "mdr_opt_in", "paired"}, where);
          !s.ok()) {
        return s;
      }
      routing::PublicationRule rule = routing::BuiltInRule(*iface);
      // A role list ("SUP DS MDR") under `name`, when given, replaces the built-in one.
      auto read_roles = [&](const char* name, routing::RoleSet* roles_out) -> dip::Status {
        if (!kv.second[name]) return dip::Status::Ok();
        auto text = Scalar(kv.second[name], where + "." + name);
        if (!text.ok()) return text.status();
        auto roles = routing::ParseRoles(text.value());
        if (!roles.ok()) return Bad(where + "." + name, roles.status().help());
        *roles_out = roles.value();
        return dip::Status::Ok();
      };
      if (dip::Status s = read_roles("senders", &rule.senders); !s.ok()) return s;
      if (dip::Status s = read_roles("receivers", &rule.receivers); !s.ok()) return s;
      if (dip::Status s = ReadBool(kv.second, "by_mpan", where, &rule.by_mpan); !s.ok()) return s;
      if (dip::Status s = ReadBool(kv.second, "mdr_opt_in", where, &rule.mdr_opt_in); !s.ok())
        return s;
      if (dip::Status s = ReadBool(kv.second, "paired", where, &rule.paired); !s.ok()) return s;
      if (rule.by_mpan && rule.receivers == 0) {
        return Bad(where, "by_mpan needs receivers (the roles to resolve)");
      }
      policy.overrides[std::string(*iface)] = rule;
    }
  }
  if (const YAML::Node opt_in = node["mdr_opt_in"]) {
    if (!opt_in.IsMap()) {
      return Bad("routing.mdr_opt_in", "expected a mapping of MDR DIP ID to publications");
    }
    for (const auto& kv : opt_in) {
      const std::string mdr = kv.first.as<std::string>();
      const std::string where = "routing.mdr_opt_in." + mdr;
      if (dip::Status s = RegisteredId(mdr, participants, "MDR", where); !s.ok()) return s;
      if (!kv.second.IsSequence()) return Bad(where, "expected a list such as [PUB-006, PUB-008]");
      for (const auto& pub : kv.second) {
        auto v = Scalar(pub, where);
        if (!v.ok()) return v.status();
        auto iface = dip::ChannelInterface(v.value());
        if (!iface) return Bad(where, "\"" + v.value() + "\" is not a publication (PUB-0xx)");
        if (!policy.RuleFor(*iface).mdr_opt_in) {
          return Bad(where, dip::PublicationId(*iface) +
                                " is not an MPAN-based update an MDR can opt in to (see "
                                "docs/routing.md)");
        }
        policy.opt_in.emplace(mdr, dip::PublicationId(*iface));
      }
    }
  }

  return dip::Status::Ok();
}

}  // namespace diphub::broker
