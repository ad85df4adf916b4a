#include "broker/config.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "broker/webhook_url.h"
#include "dip/catalogue.h"
#include "dip/json_writer.h"
#include "dip/text.h"
#include "routing/registry.h"
#include "storage/records.h"

namespace diphub::broker {
namespace {

// The embedded default: everything on loopback, data under ./var/diphub, and four demo
// participants so the README's curl example works with no file written. The keys are demo
// secrets, printed in the docs; never use this configuration outside a workstation.
constexpr const char* kEmbeddedDefault = R"yaml(
hub:
  dip_id: "0000000000"
  environment_tag: DEV
storage:
  data_dir: ./var/diphub
  durability: fsync
http:
  listen: 127.0.0.1:8080
metrics:
  listen: 127.0.0.1:9464
auth:
  require_api_key: true
  admin_token: demo-admin-token
  # The demo participants have no certificates: signatures are checked when a send carries them.
  signatures: verify-if-present
participants:
  - dip_id: "1100000001"
    role: SDS
    mpid: DSDS
    api_key: demo-sds-key
  - dip_id: "1200000001"
    role: MDR
    mpid: DMDR
    api_key: demo-mdr-key
  - dip_id: "1300000001"
    role: SUP
    mpid: DSUP
    api_key: demo-sup-key
  - dip_id: "1400000001"
    role: REGS
    mpid: DREG
    api_key: demo-regs-key
webhooks:
  # The demo delivers to receivers on this workstation (the README's `diphub sink` on
  # 127.0.0.1:9000). With no webhooks.allow_internal, loopback, private and link-local webhook
  # addresses are refused (SSRF, docs/security.md).
  allow_internal: [127.0.0.0/8, "::1/128"]
routing:
  # The demo SDS and MDR exchange IF-061..065 through the hub (BP017).
  pairings: [{sds: "1100000001", mdr: "1200000001"}]
)yaml";

dip::Status Bad(const std::string& where, const std::string& what) {
  return dip::Status::Config(where + ": " + what);
}

template <typename T>
dip::Status Read(const YAML::Node& node, const char* key, const std::string& where, T* out) {
  const YAML::Node v = node[key];
  if (!v || v.IsNull()) return dip::Status::Ok();  // absent or empty: keep the default
  try {
    if (!v.IsScalar()) throw YAML::Exception(YAML::Mark::null_mark(), "not a scalar");
    *out = v.as<T>();
  } catch (const YAML::Exception&) {
    return Bad(where + "." + key,
               "expected " + std::string(std::is_same_v<T, bool> ? "true or false"
                                         : std::is_integral_v<T> ? "a whole number"
                                                                 : "a string"));
  }
  return dip::Status::Ok();
}

dip::Status ReadMs(const YAML::Node& node, const char* key, const std::string& where,
                   std::chrono::milliseconds* out) {
  long long ms = out->count();
  if (dip::Status s = Read(node, key, where, &ms); !s.ok()) return s;
  if (ms <= 0) return Bad(where + "." + key, "must be positive");
  *out = std::chrono::milliseconds(ms);
  return dip::Status::Ok();
}

dip::Result<routing::Webhook> WebhookFromYaml(const YAML::Node& node, const std::string& where) {
  routing::Webhook w;
  if (node.IsScalar()) {
    w.url = node.as<std::string>();
  } else if (node.IsMap()) {
    if (dip::Status s = CheckKeys(node, {"url", "max_messages", "max_bytes"}, where); !s.ok()) {
      return s;
    }
    if (dip::Status s = Read(node, "url", where, &w.url); !s.ok()) return s;
    if (dip::Status s = Read(node, "max_messages", where, &w.max_messages); !s.ok()) return s;
    if (dip::Status s = Read(node, "max_bytes", where, &w.max_bytes); !s.ok()) return s;
  } else {
    return Bad(where, "expected a URL or {url, max_messages, max_bytes}");
  }
  if (!dip::IsPrintableAscii(w.url, false, /*no_spaces=*/true)) {
    return Bad(where, "webhook URL must be printable ASCII without spaces");
  }
  if (dip::Result<WebhookUrl> url = ParseWebhookUrl(w.url); !url.ok()) {
    return Bad(where, url.status().help());
  }
  return w;
}

dip::Result<std::string> ReadFile(const std::string& path, const std::string& where) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Bad(where, "cannot read file \"" + path + "\"");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

const char* EmbeddedDefaultConfig() { return kEmbeddedDefault; }

std::string SlaPair::Name() const {
  return dip::PublicationId(request_interface) + "->" + response_interface;
}

std::vector<SlaPair> SlaOptions::DefaultSlaPairs() {
  // Request -> response interfaces of the DIP catalogue. The thresholds are diphub's defaults,
  // to be set from the Operational Choreography for a production deployment.
  return {{"IF-061", "IF-062", 3600}, {"IF-031", "IF-032", 3600}, {"IF-033", "IF-034", 3600},
          {"IF-027", "IF-028", 3600}, {"IF-019", "IF-020", 3600}, {"IF-038", "IF-039", 3600}};
}

dip::Status CheckKeys(const YAML::Node& node, std::initializer_list<std::string_view> known,
                      const std::string& where) {
  if (!node || node.IsNull()) return dip::Status::Ok();  // absent or empty: all defaults
  if (!node.IsMap()) return Bad(where, "expected a mapping");
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return Bad(where, "keys must be plain names");
    std::string key = kv.first.as<std::string>();
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == key;
    if (!ok) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return Bad(where, "unknown key \"" + key + "\" (known: " + list + ")");
    }
  }
  return dip::Status::Ok();
}

namespace {
dip::Result<routing::Participant> ParticipantFromYamlImpl(const YAML::Node& node,
                                                          const std::string& where);
dip::Result<Config> ParseConfigImpl(const std::string& yaml_text, const std::string& origin);
}  // namespace

dip::Result<routing::Participant> ParticipantFromYaml(const YAML::Node& node,
                                                      const std::string& where) {
  try {
    return ParticipantFromYamlImpl(node, where);
  } catch (const YAML::Exception& e) {
    return Bad(where, std::string("unexpected YAML structure (") + e.what() + ")");
  }
}

namespace {

// storage.jetstream into `storage.jetstream`; checked only as far as `storage.engine` uses it.
dip::Status ParseJetStream(const YAML::Node& js, StorageOptions& storage) {
  const std::string where = "storage.jetstream";
  if (dip::Status s = CheckKeys(js,
                                {"servers", "stream", "subject", "replicas", "max_age_seconds",
                                 "ack_timeout_ms", "retained_bytes"},
                                where);
      !s.ok()) {
    return s;
  }
  storage::JetStreamOptions& o = storage.jetstream;
  if (js && !js.IsNull()) {
    if (const YAML::Node servers = js["servers"]; servers && !servers.IsNull()) {
      const char* expected = "expected a list of nats:// URLs, e.g. [nats://10.0.0.1:4222]";
      if (!servers.IsSequence()) return Bad(where + ".servers", expected);
      for (const auto& url : servers) {
        if (!url.IsScalar()) return Bad(where + ".servers", expected);
        o.servers.push_back(url.as<std::string>());
      }
    }
    if (dip::Status s = Read(js, "stream", where, &o.stream); !s.ok()) return s;
    if (dip::Status s = Read(js, "subject", where, &o.subject); !s.ok()) return s;
    if (dip::Status s = Read(js, "replicas", where, &o.replicas); !s.ok()) return s;
    if (dip::Status s = Read(js, "max_age_seconds", where, &o.max_age_seconds); !s.ok()) return s;
    if (dip::Status s = Read(js, "ack_timeout_ms", where, &o.ack_timeout_ms); !s.ok()) return s;
    if (dip::Status s = Read(js, "retained_bytes", where, &o.retained_bytes); !s.ok()) return s;
  }
  if (storage.engine != "jetstream") return dip::Status::Ok();
  if (o.servers.empty()) {
    return Bad(where + ".servers",
               "must list at least one nats:// URL when storage.engine is jetstream");
  }
  for (const std::string& url : o.servers) {
    const std::string_view rest =
        std::string_view(url).substr(std::min<std::size_t>(url.size(), 7));
    if (url.rfind("nats://", 0) != 0 || rest.empty() ||
        rest.find_first_of(" ,/") != std::string_view::npos) {
      return Bad(where + ".servers",
                 "each must be a nats:// URL (nats://host:port), got \"" + url + "\"");
    }
  }
  const auto name_char = [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
  };
  if (o.stream.empty() || !std::all_of(o.stream.begin(), o.stream.end(), name_char)) {
    return Bad(where + ".stream",
               "must be a stream name of letters, digits, '-' and '_', got \"" + o.stream + "\"");
  }
  bool subject_ok = !o.subject.empty() && o.subject.front() != '.' && o.subject.back() != '.' &&
                    o.subject.find("..") == std::string::npos;
  for (char ch : o.subject) subject_ok = subject_ok && (name_char(ch) || ch == '.');
  if (!subject_ok) {
    return Bad(where + ".subject",
               "must be a subject of dot-separated tokens of letters, digits, '-' and '_' (no "
               "wildcards), got \"" +
                   o.subject + "\"");
  }
  if (o.replicas < 1 || o.replicas > 5) {
    return Bad(where + ".replicas",
               "must be from 1 to 5 (JetStream's limit), got " + std::to_string(o.replicas));
  }
  if (o.max_age_seconds != 0 && o.max_age_seconds < storage.retention_seconds) {
    return Bad(where + ".max_age_seconds",
               "must be 0 (keep every entry) or at least storage.retention_seconds (" +
                   std::to_string(storage.retention_seconds) + "), got " +
                   std::to_string(o.max_age_seconds));
  }
  if (o.ack_timeout_ms < 100 || o.ack_timeout_ms > 600000) {
    return Bad(where + ".ack_timeout_ms",
               "must be from 100 to 600000, got " + std::to_string(o.ack_timeout_ms));
  }
  if (o.retained_bytes > (std::size_t{4} << 30)) {
    return Bad(where + ".retained_bytes",
               "must be from 0 to 4294967296 (4 GiB), got " + std::to_string(o.retained_bytes));
  }
  return dip::Status::Ok();
}

}  // namespace

dip::Result<Config> ParseConfig(const std::string& yaml_text, const std::string& origin) {
  try {
    return ParseConfigImpl(yaml_text, origin);
  } catch (const YAML::Exception& e) {
    return Bad(origin, std::string("unexpected YAML structure (") + e.what() + ")");
  }
}

namespace {

dip::Result<routing::Participant> ParticipantFromYamlImpl(const YAML::Node& node,
                                                          const std::string& where) {
  if (!node.IsMap()) return Bad(where, "expected a mapping with dip_id, role, ...");
  if (dip::Status s =
          CheckKeys(node,
                    {"dip_id", "role", "mpid", "api_key", "certificate", "certificate_file",
                     "adapter", "zmq_public_key", "webhooks", "connection_provider"},
                    where);
      !s.ok()) {
    return s;
  }
  routing::Participant p;
  for (auto [key, out] :
       {std::pair{"dip_id", &p.dip_id}, std::pair{"role", &p.role}, std::pair{"mpid", &p.mpid},
        std::pair{"api_key", &p.api_key}, std::pair{"certificate", &p.certificate_pem},
        std::pair{"adapter", &p.adapter}, std::pair{"zmq_public_key", &p.zmq_public_key},
        std::pair{"connection_provider", &p.connection_provider}}) {
    if (dip::Status s = Read(node, key, where, out); !s.ok()) return s;
  }
  if (!p.zmq_public_key.empty() &&
      (p.zmq_public_key.size() != 40 || !dip::IsPrintableAscii(p.zmq_public_key))) {
    return Bad(where + ".zmq_public_key", "must be a Z85 CURVE public key of 40 characters");
  }
  for (auto [key, value] : {std::pair{"role", &p.role}, std::pair{"mpid", &p.mpid},
                            std::pair{"api_key", &p.api_key}, std::pair{"adapter", &p.adapter},
                            std::pair{"connection_provider", &p.connection_provider}}) {
    if (!dip::IsPrintableAscii(*value)) {
      return Bad(where + "." + key, "must be printable ASCII text");
    }
  }
  if (!dip::IsPrintableAscii(p.certificate_pem, /*newlines=*/true)) {
    return Bad(where + ".certificate", "must be a PEM certificate (ASCII text)");
  }
  if (p.dip_id.empty()) return Bad(where + ".dip_id", "required");
  if (!routing::IsValidDipId(p.dip_id)) {
    return Bad(where + ".dip_id",
               "must be 10 characters of digits or A-Z, got \"" + p.dip_id + "\"");
  }
  if (p.role.empty()) return Bad(where + ".role", "required (SDS, MDR, SUP, REGS, ...)");
  std::string certificate_file;
  if (dip::Status s = Read(node, "certificate_file", where, &certificate_file); !s.ok()) return s;
  if (!certificate_file.empty()) {
    dip::Result<std::string> pem = ReadFile(certificate_file, where + ".certificate_file");
    if (!pem.ok()) return pem.status();
    p.certificate_pem = std::move(pem).value();
  }
  if (const YAML::Node hooks = node["webhooks"]) {
    if (!hooks.IsMap()) return Bad(where + ".webhooks", "expected a mapping of channel to URL");
    for (const auto& kv : hooks) {
      if (!kv.first.IsScalar()) return Bad(where + ".webhooks", "channel keys must be plain names");
      std::string channel = kv.first.as<std::string>();
      std::string key = channel;
      if (dip::EqualsIgnoreCase(channel, storage::kStatusInterface)) {
        key = std::string(storage::kStatusInterface);  // the status webhook (broker/status.h)
      } else if (channel != "*") {
        auto iface = dip::ChannelInterface(channel);
        if (!iface) {
          return Bad(where + ".webhooks." + channel,
                     "not a DIP channel (IF-0xx, PUB-0xx, * or statusmessage)");
        }
        key = std::string(*iface);
      }
      dip::Result<routing::Webhook> w = WebhookFromYaml(kv.second, where + ".webhooks." + channel);
      if (!w.ok()) return w.status();
      p.webhooks[key] = std::move(w).value();
    }
  }
  return p;
}

}  // namespace

dip::Status CheckWebhooks(const routing::Participant& p, const WebhookPolicy& policy,
                          const std::string& where) {
  for (const auto& [channel, hook] : p.webhooks) {
    if (dip::Status s = policy.CheckUrl(hook.url); !s.ok()) {
      return Bad(where + ".webhooks." + channel, s.help());
    }
  }
  return dip::Status::Ok();
}

std::string ParticipantToYaml(const routing::Participant& p) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "dip_id" << YAML::Value << YAML::DoubleQuoted << p.dip_id;
  // Every string double-quoted (escaped), so that it loads back exactly as it was.
  e << YAML::Key << "role" << YAML::Value << YAML::DoubleQuoted << p.role;
  e << YAML::Key << "mpid" << YAML::Value << YAML::DoubleQuoted << p.mpid;
  e << YAML::Key << "api_key" << YAML::Value << YAML::DoubleQuoted << p.api_key;
  e << YAML::Key << "certificate" << YAML::Value << YAML::DoubleQuoted << p.certificate_pem;
  e << YAML::Key << "adapter" << YAML::Value << YAML::DoubleQuoted << p.adapter;
  e << YAML::Key << "zmq_public_key" << YAML::Value << YAML::DoubleQuoted << p.zmq_public_key;
  e << YAML::Key << "connection_provider" << YAML::Value << YAML::DoubleQuoted
    << p.connection_provider;
  e << YAML::Key << "webhooks" << YAML::Value << YAML::BeginMap;
  for (const auto& [channel, w] : p.webhooks) {
    e << YAML::Key << YAML::DoubleQuoted << channel << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "url" << YAML::Value << YAML::DoubleQuoted << w.url;
    e << YAML::Key << "max_messages" << YAML::Value << w.max_messages;
    e << YAML::Key << "max_bytes" << YAML::Value << w.max_bytes;
    e << YAML::EndMap;
  }
  e << YAML::EndMap << YAML::EndMap;
  return e.c_str();
}

std::string ParticipantToJson(const routing::Participant& p) {
  dip::JsonWriter w;
  w.BeginObject();
  w.Key("dip_id").String(p.dip_id).Key("role").String(p.role).Key("mpid").String(p.mpid);
  w.Key("api_key_set").Bool(!p.api_key.empty());
  w.Key("certificate_set").Bool(!p.certificate_pem.empty());
  w.Key("adapter").String(p.adapter);
  w.Key("zmq_public_key").String(p.zmq_public_key);
  w.Key("connection_provider").String(p.connection_provider);
  w.Key("webhooks").BeginObject();
  for (const auto& [channel, hook] : p.webhooks) {
    w.Key(channel).BeginObject().Key("url").String(hook.url);
    w.Key("max_messages").Int(static_cast<long long>(hook.max_messages));
    w.Key("max_bytes").Int(static_cast<long long>(hook.max_bytes)).EndObject();
  }
  w.EndObject().EndObject();
  return w.Take();
}

namespace {

dip::Result<Config> ParseConfigImpl(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Bad(origin, std::string("not valid YAML: ") + e.what());
  }
  if (!root.IsMap()) return Bad(origin, "expected a mapping at the top level");
  Config c;
  c.adapter_sections = root;
  // An adapter listed in `adapters` may have a top-level section of its own name.
  YAML::Node top = YAML::Clone(root);
  if (root["adapters"] && root["adapters"].IsSequence()) {
    for (const auto& name : root["adapters"]) {
      if (name.IsScalar() && name.as<std::string>() != "adapters")
        top.remove(name.as<std::string>());
    }
  }
  if (dip::Status s =
          CheckKeys(top,
                    {"hub", "storage", "http", "zmq", "metrics", "auth", "delivery", "log", "sla",
                     "routing", "webhooks", "cluster", "adapters", "participants"},
                    origin);
      !s.ok()) {
    return s;
  }

  const YAML::Node hub = root["hub"];
  if (dip::Status s = CheckKeys(
          hub, {"dip_id", "environment_tag", "certificate_file", "private_key_file", "shards"},
          "hub");
      !s.ok()) {
    return s;
  }
  if (hub) {
    for (auto [key, out] :
         {std::pair{"dip_id", &c.hub.dip_id}, std::pair{"environment_tag", &c.hub.environment_tag},
          std::pair{"certificate_file", &c.hub.certificate_file},
          std::pair{"private_key_file", &c.hub.private_key_file}}) {
      if (dip::Status s = Read(hub, key, "hub", out); !s.ok()) return s;
    }
    if (dip::Status s = Read(hub, "shards", "hub", &c.hub.shards); !s.ok()) return s;
  }
  if (!routing::IsValidDipId(c.hub.dip_id)) {
    return Bad("hub.dip_id", "must be 10 characters of digits or A-Z");
  }
  if (c.hub.shards > 256) return Bad("hub.shards", "must be 0 (the number of cores) to 256");
  static constexpr std::string_view kTags[] = {"PRD", "SITB", "SIT", "UIT", "DEV"};
  bool tag_ok = false;
  for (std::string_view t : kTags) tag_ok = tag_ok || t == c.hub.environment_tag;
  if (!tag_ok) return Bad("hub.environment_tag", "must be one of PRD, SITB, SIT, UIT, DEV");
  if (c.hub.certificate_file.empty() != c.hub.private_key_file.empty()) {
    return Bad("hub", "certificate_file and private_key_file go together");
  }

  const YAML::Node st = root["storage"];
  if (dip::Status s = CheckKeys(st,
                                {"engine", "data_dir", "durability", "group_commit_max_messages",
                                 "group_commit_max_bytes", "max_pending_bytes", "retention_seconds",
                                 "memtable_bytes", "min_free_bytes", "message_log", "jetstream"},
                                "storage");
      !s.ok()) {
    return s;
  }
  if (st) {
    std::string durability = "fsync";
    if (dip::Status s = Read(st, "data_dir", "storage", &c.storage.data_dir); !s.ok()) return s;
    if (dip::Status s = Read(st, "durability", "storage", &durability); !s.ok()) return s;
    if (durability == "fsync") {
      c.storage.durability = storage::Durability::kFsync;
    } else if (durability == "os-buffered") {
      c.storage.durability = storage::Durability::kOsBuffered;
    } else {
      return Bad("storage.durability", "must be fsync or os-buffered, got \"" + durability + "\"");
    }
    if (dip::Status s =
            Read(st, "group_commit_max_messages", "storage", &c.storage.group_commit_max_messages);
        !s.ok()) {
      return s;
    }
    if (dip::Status s =
            Read(st, "group_commit_max_bytes", "storage", &c.storage.group_commit_max_bytes);
        !s.ok()) {
      return s;
    }
    if (dip::Status s = Read(st, "max_pending_bytes", "storage", &c.storage.max_pending_bytes);
        !s.ok()) {
      return s;
    }
    if (dip::Status s = Read(st, "retention_seconds", "storage", &c.storage.retention_seconds);
        !s.ok()) {
      return s;
    }
    if (dip::Status s = Read(st, "memtable_bytes", "storage", &c.storage.memtable_bytes); !s.ok()) {
      return s;
    }
    if (dip::Status s = Read(st, "min_free_bytes", "storage", &c.storage.min_free_bytes); !s.ok()) {
      return s;
    }
    if (dip::Status s = Read(st, "message_log", "storage", &c.storage.message_log); !s.ok()) {
      return s;
    }
    if (c.storage.memtable_bytes < (1u << 20)) {
      return Bad("storage.memtable_bytes", "must be at least 1 MiB (1048576)");
    }
    if (c.storage.retention_seconds < 1) {
      return Bad("storage.retention_seconds", "must be at least 1");
    }
    if (dip::Status s = Read(st, "engine", "storage", &c.storage.engine); !s.ok()) return s;
    if (c.storage.engine != "rocksdb" && c.storage.engine != "jetstream") {
      return Bad("storage.engine",
                 "must be rocksdb or jetstream, got \"" + c.storage.engine + "\"");
    }
    if (dip::Status s = ParseJetStream(st["jetstream"], c.storage); !s.ok()) return s;
  }
  if (c.storage.data_dir.empty()) return Bad("storage.data_dir", "must not be empty");

  if (dip::Status s = ParseClusterSection(root["cluster"], &c.cluster); !s.ok()) return s;
  if (c.cluster.enabled) {
    // A standby takes over from the leader's replicated log; on a local RocksDB it would start
    // without any message the leader acknowledged.
    if (c.storage.engine != "jetstream") {
      return Bad("cluster.enabled",
                 "needs storage.engine: jetstream (a standby takes over from the leader's "
                 "replicated log; with storage.engine " +
                     c.storage.engine + " it would start without the leader's messages)");
    }
    if (c.cluster.servers.empty()) c.cluster.servers = c.storage.jetstream.servers;
  }

  const YAML::Node me = root["metrics"];
  if (dip::Status s = CheckKeys(me, {"listen"}, "metrics"); !s.ok()) return s;
  if (me) {
    if (dip::Status s = Read(me, "listen", "metrics", &c.metrics.listen); !s.ok()) return s;
  }

  const YAML::Node au = root["auth"];
  if (dip::Status s = CheckKeys(
          au, {"require_api_key", "admin_token", "signatures", "signature_skew_seconds"}, "auth");
      !s.ok()) {
    return s;
  }
  if (au) {
    if (dip::Status s = Read(au, "require_api_key", "auth", &c.auth.require_api_key); !s.ok()) {
      return s;
    }
    if (dip::Status s = Read(au, "admin_token", "auth", &c.auth.admin_token); !s.ok()) return s;
    if (dip::Status s = Read(au, "signatures", "auth", &c.auth.signatures); !s.ok()) return s;
    if (dip::Status s = Read(au, "signature_skew_seconds", "auth", &c.auth.signature_skew_seconds);
        !s.ok()) {
      return s;
    }
  }

  if (c.auth.signatures != "require" && c.auth.signatures != "verify-if-present" &&
      c.auth.signatures != "off") {
    return Bad("auth.signatures",
               "must be require, verify-if-present or off, got \"" + c.auth.signatures + "\"");
  }
  if (c.auth.signature_skew_seconds < 1) {
    return Bad("auth.signature_skew_seconds", "must be at least 1");
  }

  const YAML::Node de = root["delivery"];
  if (dip::Status s =
          CheckKeys(de,
                    {"max_messages_per_post", "max_bytes_per_post", "initial_backoff_ms",
                     "max_backoff_ms", "max_attempts", "memory_queue_limit"},
                    "delivery");
      !s.ok()) {
    return s;
  }
  if (de) {
    for (auto [key, out] : {std::pair{"max_messages_per_post", &c.delivery.max_messages_per_post},
                            std::pair{"max_bytes_per_post", &c.delivery.max_bytes_per_post},
                            std::pair{"memory_queue_limit", &c.delivery.memory_queue_limit}}) {
      if (dip::Status s = Read(de, key, "delivery", out); !s.ok()) return s;
      if (*out == 0) return Bad(std::string("delivery.") + key, "must be positive");
    }
    if (dip::Status s = Read(de, "max_attempts", "delivery", &c.delivery.max_attempts); !s.ok()) {
      return s;
    }
    if (dip::Status s = ReadMs(de, "initial_backoff_ms", "delivery", &c.delivery.initial_backoff);
        !s.ok()) {
      return s;
    }
    if (dip::Status s = ReadMs(de, "max_backoff_ms", "delivery", &c.delivery.max_backoff);
        !s.ok()) {
      return s;
    }
  }
  if (c.delivery.max_attempts < 1) return Bad("delivery.max_attempts", "must be at least 1");

  const YAML::Node lo = root["log"];
  if (dip::Status s = CheckKeys(lo, {"level", "format"}, "log"); !s.ok()) return s;
  if (lo) {
    if (dip::Status s = Read(lo, "level", "log", &c.log.level); !s.ok()) return s;
    if (dip::Status s = Read(lo, "format", "log", &c.log.format); !s.ok()) return s;
  }
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  bool level_ok = false;
  for (std::string_view l : kLevels) level_ok = level_ok || l == c.log.level;
  if (!level_ok) return Bad("log.level", "must be trace, debug, info, warn, error or off");
  if (c.log.format != "plain" && c.log.format != "json") {
    return Bad("log.format", "must be plain or json");
  }

  const YAML::Node sla = root["sla"];
  if (dip::Status s = CheckKeys(sla, {"pairs", "max_tracked"}, "sla"); !s.ok()) return s;
  if (sla && !sla.IsNull()) {
    if (dip::Status s = Read(sla, "max_tracked", "sla", &c.sla.max_tracked); !s.ok()) return s;
    if (c.sla.max_tracked == 0) return Bad("sla.max_tracked", "must be positive");
    if (const YAML::Node pairs = sla["pairs"]) {
      if (!pairs.IsSequence())
        return Bad("sla.pairs", "expected a list of {request, response, threshold_seconds}");
      c.sla.pairs.clear();
      for (std::size_t i = 0; i < pairs.size(); ++i) {
        std::string where = "sla.pairs[" + std::to_string(i) + "]";
        if (dip::Status s =
                CheckKeys(pairs[i], {"request", "response", "threshold_seconds"}, where);
            !s.ok()) {
          return s;
        }
        std::string request, response;
        SlaPair pair;
        if (dip::Status s = Read(pairs[i], "request", where, &request); !s.ok()) return s;
        if (dip::Status s = Read(pairs[i], "response", where, &response); !s.ok()) return s;
        try {
          if (pairs[i]["threshold_seconds"]) {
            pair.threshold_seconds = pairs[i]["threshold_seconds"].as<double>();
          }
        } catch (const YAML::Exception&) {
          return Bad(where + ".threshold_seconds", "expected a number of seconds");
        }
        auto req = dip::ChannelInterface(request);
        auto resp = dip::ChannelInterface(response);
        if (!req) return Bad(where + ".request", "not a DIP channel: \"" + request + "\"");
        if (!resp) return Bad(where + ".response", "not a DIP channel: \"" + response + "\"");
        if (pair.threshold_seconds <= 0)
          return Bad(where + ".threshold_seconds", "must be positive");
        pair.request_interface = std::string(*req);
        pair.response_interface = std::string(*resp);
        c.sla.pairs.push_back(std::move(pair));
      }
    }
  }

  const YAML::Node wh = root["webhooks"];
  if (dip::Status s = CheckKeys(wh, {"allow_internal", "ca_file"}, "webhooks"); !s.ok()) return s;
  WebhookPolicy webhook_policy;
  if (wh && !wh.IsNull()) {
    if (const YAML::Node allow = wh["allow_internal"]; allow && !allow.IsNull()) {
      if (!allow.IsSequence()) {
        return Bad("webhooks.allow_internal",
                   "expected a list of address blocks, e.g. [127.0.0.0/8]");
      }
      for (const auto& block : allow) {
        if (!block.IsScalar()) {
          return Bad("webhooks.allow_internal",
                     "expected a list of address blocks, e.g. [127.0.0.0/8]");
        }
        c.webhooks.allow_internal.push_back(block.as<std::string>());
      }
    }
    if (dip::Status s = Read(wh, "ca_file", "webhooks", &c.webhooks.ca_file); !s.ok()) return s;
    if (!c.webhooks.ca_file.empty()) {
      if (auto pem = ReadFile(c.webhooks.ca_file, "webhooks.ca_file"); !pem.ok()) {
        return pem.status();
      }
    }
  }
  if (auto policy = WebhookPolicy::Make(c.webhooks.allow_internal); policy.ok()) {
    webhook_policy = std::move(policy).value();
  } else {
    return policy.status();
  }

  if (const YAML::Node ad = root["adapters"]) {
    if (!ad.IsSequence()) return Bad("adapters", "expected a list of adapter names, e.g. [http]");
    c.adapters.clear();
    for (const auto& a : ad) {
      if (!a.IsScalar()) return Bad("adapters", "expected a list of adapter names, e.g. [http]");
      c.adapters.push_back(a.as<std::string>());
    }
  }

  if (const YAML::Node ps = root["participants"]) {
    if (!ps.IsSequence()) return Bad("participants", "expected a list");
    for (std::size_t i = 0; i < ps.size(); ++i) {
      const std::string where = "participants[" + std::to_string(i) + "]";
      dip::Result<routing::Participant> p = ParticipantFromYaml(ps[i], where);
      if (!p.ok()) return p.status();
      if (dip::Status s = CheckWebhooks(p.value(), webhook_policy, where); !s.ok()) return s;
      c.participants.push_back(std::move(p).value());
    }
  }
  // Duplicate IDs or keys are caught here rather than at first use.
  if (auto r = routing::Registry::Build(c.participants); !r.ok()) return r.status();
  if (dip::Status s = ParseRoutingSection(root["routing"], c.participants, &c.routing); !s.ok()) {
    return s;
  }
  return c;
}

}  // namespace

dip::Result<Config> LoadConfigFile(const std::string& path) {
  dip::Result<std::string> text = ReadFile(path, "--config");
  if (!text.ok()) return text.status();
  return ParseConfig(text.value(), path);
}

}  // namespace diphub::broker
