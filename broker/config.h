// The hub's configuration: plain structs with in-class defaults, split by scope, loaded from
// YAML and validated once at start-up. Every key is documented in docs/configuration.md.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "broker/webhook_policy.h"
#include "dip/status.h"
#include "routing/participant.h"
#include "routing/policy.h"
#include "storage/jetstream_options.h"
#include "storage/records.h"

namespace diphub::broker {

struct HubOptions {
  std::string dip_id =
      "0000000000";  // the hub's own DIP ID (D0, StandardResponse senderID). Default: "0000000000"
  std::string environment_tag = "DEV";  // the S1.environmentTag accepted. Default: "DEV"
  std::string certificate_file;  // PEM used to sign webhooks. Default: "" = self-signed in data_dir
  std::string private_key_file;  // PEM private key of certificate_file. Default: ""
  // Routing shard threads, and as many delivery shard threads; 0 = the number of cores.
  std::size_t shards = 0;  // Default: 0 (the number of cores)
};

struct StorageOptions {
  // "rocksdb" (the embedded store) or "jetstream" (a JetStream stream is the write-ahead log;
  // RocksDB in data_dir is a view rebuilt from it). Default: "rocksdb"
  std::string engine = "rocksdb";
  std::string data_dir = "./var/diphub";  // RocksDB lives here. Default: "./var/diphub"
  storage::Durability durability = storage::Durability::kFsync;  // Default: fsync
  std::size_t group_commit_max_messages = 4096;                  // Default: 4096
  std::size_t group_commit_max_bytes = 16u << 20;                // Default: 16 MiB
  std::size_t max_pending_bytes = 256u << 20;  // queued for commit before 429. Default: 256 MiB
  std::int64_t retention_seconds = 30 * 24 * 3600;  // delivered messages kept. Default: 30 days
  std::size_t memtable_bytes = 64u << 20;     // RocksDB write buffer; the WAL is preallocated at
                                              // about 1.1x this. Default: 64 MiB
  std::uint64_t min_free_bytes = 256u << 20;  // sends answer 503 below this. Default: 256 MiB
  // The messages' raw bytes in the message log (<data_dir>/message-log) rather than in
  // RocksDB's records: less CPU per message, about three times the disk. Default: true
  bool message_log = true;
  storage::JetStreamOptions jetstream;  // storage.jetstream.*, used with engine jetstream
};

struct MetricsOptions {
  std::string listen =
      "127.0.0.1:9464";  // Prometheus /metrics; "" disables. Default: 127.0.0.1:9464
};

struct AuthOptions {
  bool require_api_key = true;  // sends must carry a participant's X-API-Key. Default: true
  std::string admin_token;      // bearer token of /admin; "" disables the admin API. Default: ""
  // X-DIP signatures on sends: "require", "verify-if-present" or "off". Default: require
  std::string signatures = "require";
  std::int64_t signature_skew_seconds = 300;  // |X-DIP-Signature-Date - now| allowed. Default: 300
};

struct DeliveryOptions {
  std::size_t max_messages_per_post = 100;         // Default: 100
  std::size_t max_bytes_per_post = 1u << 20;       // Default: 1 MiB
  std::chrono::milliseconds initial_backoff{500};  // Default: 500 ms
  std::chrono::milliseconds max_backoff{60000};    // Default: 60 s
  std::uint32_t max_attempts = 20;         // then RetriesExhausted (dead letter). Default: 20
  std::size_t memory_queue_limit = 10000;  // per recipient; the rest waits on disk. Default: 10000
};

// A request/response pair whose response time is measured (docs/configuration.md#sla).
struct SlaPair {
  std::string request_interface;    // the request's interface, e.g. "IF-061" (published as PUB-061)
  std::string response_interface;   // the response's interface, e.g. "IF-062"
  double threshold_seconds = 3600;  // slower responses count as breaches
  std::string Name() const;         // "PUB-061->IF-062"
};

struct SlaOptions {
  // Default: the request/response pairs of the catalogue, each with a 1-hour threshold.
  std::vector<SlaPair> pairs = DefaultSlaPairs();
  std::size_t max_tracked = 1000000;  // open requests remembered. Default: 1,000,000
  static std::vector<SlaPair> DefaultSlaPairs();
};

// Routing (docs/routing.md): the settings of routing::Policy, and the routing queues.
struct RoutingOptions {
  std::size_t queue_capacity = 4096;  // routing tasks queued per shard before 429. Default: 4096
  routing::Policy policy;             // always, pairings, mdr_opt_in, publications. Default: none
  std::string appointments_csv;       // imported at every start when set. Default: ""
};

// Webhook egress (docs/configuration.md#webhooks, docs/security.md).
struct WebhookOptions {
  // Address blocks ("127.0.0.0/8", "::1/128") webhooks may reach although internal (loopback,
  // private, link-local, ...): every other internal address is refused when a webhook is
  // registered and again when the hub connects (broker/webhook_policy.h). Default: none
  std::vector<std::string> allow_internal;
  // PEM CA certificates https:// webhooks must chain to. Default: "" = the system trust store
  std::string ca_file;
};

// Active/standby over one replicated log (docs/scaleout.md): with `enabled`, diphub waits for the
// leader lease (broker/leader_lease.h) before it opens storage and starts the adapters, renews it
// while it runs and exits with status 3 when it loses it.
struct ClusterOptions {
  bool enabled = false;  // Default: false (a single node, no lease)
  std::string node;      // this node's name in the lease. Default: "" = the host name
  std::int64_t lease_ttl_ms =
      3000;  // lease time: a dead leader is replaced after it. Default: 3000
  // nats:// (or tls://) URLs of the NATS cluster holding the lease; required when enabled.
  // Default: none
  std::vector<std::string> servers;
  std::string lease_bucket = "diphub_leader";  // the KV bucket of the lease. Default: diphub_leader
  int lease_replicas = 3;  // replicas of the bucket when this node creates it. Default: 3
  // The leader gives the lease up (and exits with status 3) when its renewals have had no answer
  // for this long; at least lease_ttl_ms. Default: 15000
  std::int64_t unreachable_after_ms = 15000;
  // A standby catches its view up with the stream this often (docs/scaleout.md), so that taking
  // over replays little; 0 = never (it replays everything it lacks when it takes over).
  // Default: 3000
  std::int64_t follow_ms = 3000;
};

struct LogOptions {
  std::string level = "info";    // trace, debug, info, warn, error. Default: info
  std::string format = "plain";  // plain or json. Default: plain
};

struct Config {
  HubOptions hub;
  StorageOptions storage;
  MetricsOptions metrics;
  AuthOptions auth;
  DeliveryOptions delivery;
  LogOptions log;
  SlaOptions sla;
  RoutingOptions routing;
  WebhookOptions webhooks;
  ClusterOptions cluster;
  std::vector<std::string> adapters = {"http"};  // edge adapters to start. Default: [http]
  YAML::Node adapter_sections;  // the whole document; each adapter reads its own section
  std::vector<routing::Participant> participants;
};

// The configuration `diphub` runs with when given no --config: the demo participant set.
const char* EmbeddedDefaultConfig();

dip::Result<Config> ParseConfig(const std::string& yaml_text, const std::string& origin);
dip::Result<Config> LoadConfigFile(const std::string& path);

// A participant from YAML or JSON (the admin API body is JSON, a subset of YAML).
dip::Result<routing::Participant> ParticipantFromYaml(const YAML::Node& node,
                                                      const std::string& where);
// Refuses a webhook of `p` that `policy` refuses (an internal address), naming it as
// `where`.webhooks.<channel>.
dip::Status CheckWebhooks(const routing::Participant& p, const WebhookPolicy& policy,
                          const std::string& where);
std::string ParticipantToYaml(const routing::Participant& p);
// The participant as JSON for GET /admin/participants/{id}; the API key is not shown.
std::string ParticipantToJson(const routing::Participant& p);

// The `routing` section into `out`; its DIP IDs are checked against `participants`.
dip::Status ParseRoutingSection(const YAML::Node& node,
                                const std::vector<routing::Participant>& participants,
                                RoutingOptions* out);
// The `cluster` section into `out` (broker/cluster_config.cc); an empty node becomes the host name.
dip::Status ParseClusterSection(const YAML::Node& node, ClusterOptions* out);
// The hub.shards setting as a thread count (0 = the number of cores).
std::size_t ShardCount(const HubOptions& hub);

// Rejects keys of `node` not in `known` (catches typos in configuration files).
dip::Status CheckKeys(const YAML::Node& node, std::initializer_list<std::string_view> known,
                      const std::string& where);

}  // namespace diphub::broker
