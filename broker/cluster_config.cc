// The `cluster` section of the configuration (docs/configuration.md#cluster).
#include <unistd.h>

#include "broker/config.h"

namespace diphub::broker {
namespace {

dip::Status ClusterBad(const std::string& where, const std::string& what) {
  return dip::Status::Config(where + ": " + what);
}

template <typename T>
dip::Status ReadScalar(const YAML::Node& node, const char* key, T* out, const char* expected) {
  const YAML::Node v = node[key];
  if (!v || v.IsNull()) return dip::Status::Ok();
  try {
    if (!v.IsScalar()) throw YAML::Exception(YAML::Mark::null_mark(), "not a scalar");
    *out = v.as<T>();
  } catch (const YAML::Exception&) {
    return ClusterBad(std::string("cluster.") + key, std::string("expected ") + expected);
  }
  return dip::Status::Ok();
}

// Letters, digits, '-', '_' and '.': a node name is a KV value and shows in logs; a bucket name
// is part of a NATS subject.
bool IsName(const std::string& s, bool allow_dot) {
  if (s.empty() || s.size() > 64) return false;
  for (char ch : s) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || (allow_dot && ch == '.');
    if (!ok) return false;
  }
  return true;
}

bool IsNatsUrl(const std::string& url) {
  for (const char* scheme : {"nats://", "tls://"}) {
    const std::string sch(scheme);
    if (url.rfind(sch, 0) == 0 && url.size() > sch.size() &&
        url.find_first_of(" \t,") == std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

dip::Status ParseClusterSection(const YAML::Node& node, ClusterOptions* out) {
  if (dip::Status s = CheckKeys(node,
                                {"enabled", "node", "lease_ttl_ms", "servers", "lease_bucket",
                                 "lease_replicas", "unreachable_after_ms", "follow_ms"},
                                "cluster");
      !s.ok()) {
    return s;
  }
  if (node) {
    if (auto s = ReadScalar(node, "enabled", &out->enabled, "true or false"); !s.ok()) return s;
    if (auto s = ReadScalar(node, "node", &out->node, "a string"); !s.ok()) return s;
    if (auto s = ReadScalar(node, "lease_ttl_ms", &out->lease_ttl_ms, "a whole number"); !s.ok()) {
      return s;
    }
    if (auto s = ReadScalar(node, "lease_bucket", &out->lease_bucket, "a string"); !s.ok()) {
      return s;
    }
    if (auto s = ReadScalar(node, "lease_replicas", &out->lease_replicas, "a whole number");
        !s.ok()) {
      return s;
    }
    if (auto s =
            ReadScalar(node, "unreachable_after_ms", &out->unreachable_after_ms, "a whole number");
        !s.ok()) {
      return s;
    }
    if (auto s = ReadScalar(node, "follow_ms", &out->follow_ms, "a whole number"); !s.ok()) {
      return s;
    }
    if (const YAML::Node servers = node["servers"]; servers && !servers.IsNull()) {
      if (!servers.IsSequence()) {
        return ClusterBad("cluster.servers", "expected a list of nats:// URLs");
      }
      out->servers.clear();
      for (const YAML::Node& u : servers) {
        const std::string url = u.IsScalar() ? u.as<std::string>() : "";
        if (!IsNatsUrl(url)) {
          return ClusterBad("cluster.servers",
                            "expected nats://host:port or tls://host:port, got \"" + url + "\"");
        }
        out->servers.push_back(url);
      }
    }
  }
  if (out->node.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) out->node = host;
  }
  if (!IsName(out->node, /*allow_dot=*/true)) {
    return ClusterBad("cluster.node", "must be 1 to 64 letters, digits, '-', '_' or '.', got \"" +
                                          out->node + "\"");
  }
  if (out->lease_ttl_ms < 500 || out->lease_ttl_ms > 600000) {
    return ClusterBad("cluster.lease_ttl_ms",
                      "must be 500 to 600000 (ms), got " + std::to_string(out->lease_ttl_ms));
  }
  if (out->unreachable_after_ms < out->lease_ttl_ms || out->unreachable_after_ms > 3600000) {
    return ClusterBad("cluster.unreachable_after_ms",
                      "must be at least cluster.lease_ttl_ms (" +
                          std::to_string(out->lease_ttl_ms) + ") and at most 3600000 (ms), got " +
                          std::to_string(out->unreachable_after_ms));
  }
  if (out->follow_ms != 0 && (out->follow_ms < 100 || out->follow_ms > 3600000)) {
    return ClusterBad("cluster.follow_ms", "must be 0 (off) or 100 to 3600000 (ms), got " +
                                               std::to_string(out->follow_ms));
  }
  if (!IsName(out->lease_bucket, /*allow_dot=*/false)) {
    return ClusterBad(
        "cluster.lease_bucket",
        "must be 1 to 64 letters, digits, '-' or '_', got \"" + out->lease_bucket + "\"");
  }
  if (out->lease_replicas < 1 || out->lease_replicas > 5) {
    return ClusterBad("cluster.lease_replicas", "must be 1 to 5 (JetStream's limit)");
  }
  return dip::Status::Ok();
}

}  // namespace diphub::broker
