#include "broker/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace diphub::broker {
namespace {

dip::Result<Config> Parse(const std::string& yaml) { return ParseConfig(yaml, "test.yaml"); }

// The help of a configuration that must fail to parse.
std::string Rejection(const std::string& yaml) {
  dip::Result<Config> c = Parse(yaml);
  EXPECT_FALSE(c.ok()) << yaml;
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), dip::Status::kConfigCode);
  return c.status().help();
}

TEST(ParseConfigTest, EmbeddedDefaultHasFourDemoParticipants) {
  dip::Result<Config> c = Parse(EmbeddedDefaultConfig());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const Config& cfg = c.value();
  ASSERT_EQ(cfg.participants.size(), 4u);
  const std::pair<const char*, const char*> expected[] = {
      {"1100000001", "SDS"}, {"1200000001", "MDR"}, {"1300000001", "SUP"}, {"1400000001", "REGS"}};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(cfg.participants[i].dip_id, expected[i].first);
    EXPECT_EQ(cfg.participants[i].role, expected[i].second);
    EXPECT_FALSE(cfg.participants[i].api_key.empty());
  }
  EXPECT_EQ(cfg.hub.environment_tag, "DEV");
  EXPECT_EQ(cfg.storage.durability, storage::Durability::kFsync);
  EXPECT_TRUE(cfg.auth.require_api_key);
}

TEST(ParseConfigTest, EmptyMappingGivesDefaults) {
  dip::Result<Config> c = Parse("hub: {}\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c.value().hub.dip_id, "0000000000");
  EXPECT_EQ(c.value().hub.shards, 0u);  // the number of cores
  EXPECT_GE(ShardCount(c.value().hub), 1u);
  EXPECT_EQ(c.value().delivery.max_attempts, 20u);
  EXPECT_EQ(c.value().adapters, std::vector<std::string>{"http"});
  EXPECT_TRUE(c.value().participants.empty());
}

TEST(ParseConfigTest, UnknownKeyIsNamed) {
  std::string top = Rejection("hub: {}\nstorge: {}\n");
  EXPECT_NE(top.find("\"storge\""), std::string::npos) << top;
  std::string nested = Rejection("storage:\n  data_dri: /tmp/x\n");
  EXPECT_NE(nested.find("\"data_dri\""), std::string::npos) << nested;
  EXPECT_NE(nested.find("storage"), std::string::npos) << nested;
  std::string participant =
      Rejection("participants:\n  - dip_id: \"1100000001\"\n    role: SDS\n    apikey: k\n");
  EXPECT_NE(participant.find("\"apikey\""), std::string::npos) << participant;
}

TEST(ParseConfigTest, AdapterSectionOnlyWhenTheAdapterIsListed) {
  dip::Result<Config> c = Parse("adapters: [http, sim]\nsim:\n  seed: 3\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c.value().adapter_sections["sim"]["seed"].as<int>(), 3);
  std::string unlisted = Rejection("sim:\n  seed: 3\n");
  EXPECT_NE(unlisted.find("unknown key \"sim\""), std::string::npos) << unlisted;
}

TEST(ParseConfigTest, Durability) {
  dip::Result<Config> c = Parse("storage:\n  durability: os-buffered\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c.value().storage.durability, storage::Durability::kOsBuffered);
  std::string bad = Rejection("storage:\n  durability: sometimes\n");
  EXPECT_NE(bad.find("storage.durability"), std::string::npos) << bad;
  EXPECT_NE(bad.find("sometimes"), std::string::npos) << bad;
}

TEST(ParseConfigTest, MessageLog) {
  EXPECT_TRUE(Parse("{}").value().storage.message_log);
  dip::Result<Config> c = Parse("storage:\n  message_log: false\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c.value().storage.message_log);
  std::string bad = Rejection("storage:\n  message_log: sometimes\n");
  EXPECT_NE(bad.find("storage.message_log"), std::string::npos) << bad;
  EXPECT_NE(bad.find("true or false"), std::string::npos) << bad;
}

TEST(ParseConfigTest, StorageEngineJetStream) {
  dip::Result<Config> c = Parse(
      "storage:\n  engine: jetstream\n  jetstream:\n    servers: [nats://10.0.0.1:4222, "
      "nats://10.0.0.2:4222]\n    stream: HUB_1\n    subject: hub.log\n    replicas: 5\n"
      "    max_age_seconds: 2592000\n    ack_timeout_ms: 2000\n    retained_bytes: 1048576\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const storage::JetStreamOptions& js = c.value().storage.jetstream;
  EXPECT_EQ(c.value().storage.engine, "jetstream");
  EXPECT_EQ(js.servers, (std::vector<std::string>{"nats://10.0.0.1:4222", "nats://10.0.0.2:4222"}));
  EXPECT_EQ(js.stream, "HUB_1");
  EXPECT_EQ(js.subject, "hub.log");
  EXPECT_EQ(js.replicas, 5);
  EXPECT_EQ(js.max_age_seconds, 2592000);
  EXPECT_EQ(js.ack_timeout_ms, 2000);
  EXPECT_EQ(js.retained_bytes, 1048576u);
  EXPECT_EQ(Parse("{}").value().storage.engine, "rocksdb");
  EXPECT_EQ(Parse("{}").value().storage.jetstream.retained_bytes, 64u << 20);

  const std::string base = "storage:\n  engine: jetstream\n  jetstream:\n";
  const std::string servers = "    servers: [nats://127.0.0.1:4222]\n";
  struct Case {
    std::string yaml, key, detail;
  };
  const Case cases[] = {
      {"storage:\n  engine: etcd\n", "storage.engine", "etcd"},
      {base + "    stream: X\n", "storage.jetstream.servers", "at least one"},
      {base + "    servers: nats://a:4222\n", "storage.jetstream.servers", "list"},
      {base + "    servers: [http://a:4222]\n", "storage.jetstream.servers", "http://a:4222"},
      {base + servers + "    stream: \"a.b\"\n", "storage.jetstream.stream", "a.b"},
      {base + servers + "    subject: \"log.>\"\n", "storage.jetstream.subject", "log.>"},
      {base + servers + "    replicas: 0\n", "storage.jetstream.replicas", "1 to 5"},
      {base + servers + "    replicas: 7\n", "storage.jetstream.replicas", "got 7"},
      {base + servers + "    max_age_seconds: 60\n", "storage.jetstream.max_age_seconds",
       "retention_seconds"},
      {base + servers + "    ack_timeout_ms: 5\n", "storage.jetstream.ack_timeout_ms", "got 5"},
      {base + servers + "    retained_bytes: 8589934592\n", "storage.jetstream.retained_bytes",
       "got 8589934592"},
      {base + servers + "    retained_bytes: -1\n", "storage.jetstream.retained_bytes", ""},
      {base + servers + "    acktimeout: 5\n", "acktimeout", ""},
  };
  for (const Case& k : cases) {
    std::string bad = Rejection(k.yaml);
    EXPECT_NE(bad.find(k.key), std::string::npos) << k.yaml << " -> " << bad;
    EXPECT_NE(bad.find(k.detail), std::string::npos) << k.yaml << " -> " << bad;
  }
}

TEST(ParseConfigTest, EnvironmentTag) {
  for (const char* tag : {"PRD", "SITB", "SIT", "UIT", "DEV"}) {
    EXPECT_TRUE(Parse(std::string("hub:\n  environment_tag: ") + tag + "\n").ok()) << tag;
  }
  std::string bad = Rejection("hub:\n  environment_tag: dev\n");
  EXPECT_NE(bad.find("hub.environment_tag"), std::string::npos) << bad;
}

TEST(ParseConfigTest, OtherValuesValidated) {
  EXPECT_NE(Rejection("hub:\n  shards: 300\n").find("hub.shards"), std::string::npos);
  EXPECT_NE(Rejection("hub:\n  shards: many\n").find("hub.shards"), std::string::npos);
  EXPECT_NE(Rejection("hub:\n  dip_id: \"123\"\n").find("hub.dip_id"), std::string::npos);
  EXPECT_NE(Rejection("hub:\n  certificate_file: /x.pem\n").find("private_key_file"),
            std::string::npos);
  EXPECT_NE(Rejection("delivery:\n  max_messages_per_post: 0\n").find("max_messages_per_post"),
            std::string::npos);
  EXPECT_NE(Rejection("delivery:\n  initial_backoff_ms: -5\n").find("initial_backoff_ms"),
            std::string::npos);
  EXPECT_NE(Rejection("log:\n  format: xml\n").find("log.format"), std::string::npos);
  EXPECT_NE(Rejection("[1, 2]").find("top level"), std::string::npos);
  EXPECT_NE(Rejection("hub: [unclosed\n").find("YAML"), std::string::npos);
}

TEST(ParseConfigTest, DuplicateParticipantsRejected) {
  std::string bad = Rejection(
      "participants:\n"
      "  - {dip_id: \"1100000001\", role: SDS}\n"
      "  - {dip_id: \"1100000001\", role: MDR}\n");
  EXPECT_NE(bad.find("1100000001"), std::string::npos) << bad;
}

TEST(ParseConfigTest, HttpsWebhookAcceptedCredentialsRefused) {
  dip::Result<Config> c = Parse(
      "participants:\n"
      "  - dip_id: \"1200000001\"\n"
      "    role: MDR\n"
      "    webhooks:\n"
      "      IF-061: https://example.com/dip\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c.value().participants.at(0).webhooks.at("IF-061").url, "https://example.com/dip");
  std::string bad = Rejection(
      "participants:\n"
      "  - dip_id: \"1200000001\"\n"
      "    role: MDR\n"
      "    webhooks:\n"
      "      IF-061: https://user:secret@example.com/dip\n");
  EXPECT_NE(bad.find("credentials"), std::string::npos) << bad;
  EXPECT_NE(bad.find("webhooks.IF-061"), std::string::npos) << bad;
}

// #16 item 4: a configured webhook at an internal address stops the start, naming it and the
// setting that would allow it; webhooks.allow_internal lets its blocks through.
TEST(ParseConfigTest, InternalWebhookRefusedUnlessAllowed) {
  const std::string participant =
      "participants:\n"
      "  - dip_id: \"1200000001\"\n"
      "    role: MDR\n"
      "    webhooks:\n"
      "      IF-061: http://169.254.169.254/latest/meta-data\n";
  std::string bad = Rejection(participant);
  EXPECT_NE(bad.find("participants[0].webhooks.IF-061"), std::string::npos) << bad;
  EXPECT_NE(bad.find("169.254.169.254 is a link-local"), std::string::npos) << bad;
  EXPECT_NE(bad.find("webhooks.allow_internal"), std::string::npos) << bad;
  dip::Result<Config> allowed =
      Parse("webhooks:\n  allow_internal: [169.254.0.0/16]\n" + participant);
  ASSERT_TRUE(allowed.ok()) << allowed.status().ToString();
  EXPECT_EQ(allowed.value().webhooks.allow_internal, std::vector<std::string>{"169.254.0.0/16"});
  std::string loopback = Rejection(
      "webhooks:\n  allow_internal: [169.254.0.0/16]\n"
      "participants:\n"
      "  - {dip_id: \"1200000001\", role: MDR, webhooks: {\"*\": \"http://localhost:9/x\"}}\n");
  EXPECT_NE(loopback.find("localhost names the loopback interface"), std::string::npos) << loopback;
}

TEST(ParseConfigTest, WebhooksSectionIsChecked) {
  EXPECT_NE(Rejection("webhooks:\n  allow_internal: [localhost]\n").find("webhooks.allow_internal"),
            std::string::npos);
  EXPECT_NE(Rejection("webhooks:\n  allow_internal: 127.0.0.0/8\n").find("list of address"),
            std::string::npos);
  EXPECT_NE(Rejection("webhooks:\n  allow_internals: []\n").find("allow_internals"),
            std::string::npos);
  std::string ca = Rejection("webhooks:\n  ca_file: /nonexistent/ca.pem\n");
  EXPECT_NE(ca.find("webhooks.ca_file"), std::string::npos) << ca;
}

TEST(ParseConfigTest, WebhookAsStringOrMap) {
  dip::Result<Config> c = Parse(
      "webhooks:\n  allow_internal: [127.0.0.0/8]\n"
      "participants:\n"
      "  - dip_id: \"1200000001\"\n"
      "    role: MDR\n"
      "    webhooks:\n"
      "      \"*\": http://127.0.0.1:9000/all\n"
      "      pub-061:\n"
      "        url: http://127.0.0.1:9000/061\n"
      "        max_messages: 5\n"
      "        max_bytes: 4096\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const routing::Participant& p = c.value().participants.at(0);
  ASSERT_EQ(p.webhooks.size(), 2u);
  EXPECT_EQ(p.webhooks.at("*").url, "http://127.0.0.1:9000/all");
  EXPECT_EQ(p.webhooks.at("*").max_messages, 0u);
  const routing::Webhook& w = p.webhooks.at("IF-061");  // channel stored canonically
  EXPECT_EQ(w.url, "http://127.0.0.1:9000/061");
  EXPECT_EQ(w.max_messages, 5u);
  EXPECT_EQ(w.max_bytes, 4096u);

  std::string bad = Rejection(
      "participants:\n  - {dip_id: \"1200000001\", role: MDR, webhooks: {IF-999: http://h/}}\n");
  EXPECT_NE(bad.find("IF-999"), std::string::npos) << bad;
}

routing::Participant Sample() {
  routing::Participant p;
  p.dip_id = "1200000001";
  p.role = "MDR";
  p.mpid = "DMDR";
  p.api_key = "secret-key-123";
  p.certificate_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  p.adapter = "http";
  p.webhooks["*"] = routing::Webhook{"http://127.0.0.1:9000/all", 0, 0};
  p.webhooks["IF-061"] = routing::Webhook{"http://127.0.0.1:9000/061", 10, 65536};
  return p;
}

TEST(ParticipantYamlTest, RoundTrip) {
  routing::Participant p = Sample();
  std::string yaml = ParticipantToYaml(p);
  dip::Result<routing::Participant> back = ParticipantFromYaml(YAML::Load(yaml), "round trip");
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << yaml;
  const routing::Participant& q = back.value();
  EXPECT_EQ(q.dip_id, p.dip_id);
  EXPECT_EQ(q.role, p.role);
  EXPECT_EQ(q.mpid, p.mpid);
  EXPECT_EQ(q.api_key, p.api_key);
  EXPECT_EQ(q.certificate_pem, p.certificate_pem) << yaml;
  EXPECT_EQ(q.adapter, p.adapter);
  ASSERT_EQ(q.webhooks.size(), 2u);
  EXPECT_EQ(q.webhooks.at("IF-061").url, "http://127.0.0.1:9000/061");
  EXPECT_EQ(q.webhooks.at("IF-061").max_messages, 10u);
  EXPECT_EQ(q.webhooks.at("IF-061").max_bytes, 65536u);
  EXPECT_EQ(q.webhooks.at("*").url, "http://127.0.0.1:9000/all");
}

TEST(ParticipantYamlTest, RoundTripOfMinimalParticipant) {
  routing::Participant p;
  p.dip_id = "0000000001";
  p.role = "SUP";
  dip::Result<routing::Participant> back =
      ParticipantFromYaml(YAML::Load(ParticipantToYaml(p)), "round trip");
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << ParticipantToYaml(p);
  EXPECT_EQ(back.value().dip_id, "0000000001");  // stays a string, not the number 1
  EXPECT_EQ(back.value().api_key, "");
  EXPECT_EQ(back.value().certificate_pem, "");
  EXPECT_TRUE(back.value().webhooks.empty());
}

TEST(ParticipantJsonTest, DoesNotRevealApiKey) {
  std::string json = ParticipantToJson(Sample());
  EXPECT_EQ(json.find("secret-key-123"), std::string::npos) << json;
  EXPECT_NE(json.find("\"api_key_set\":true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"1200000001\""), std::string::npos) << json;
  EXPECT_NE(json.find("http://127.0.0.1:9000/061"), std::string::npos) << json;
}

TEST(LoadConfigFileTest, ExampleConfigLoads) {
  const std::string path = DIPHUB_SOURCE_DIR "/deploy/examples/diphub.yaml";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
  dip::Result<Config> c = LoadConfigFile(path);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
}

TEST(LoadConfigFileTest, MissingFileIsAnError) {
  dip::Result<Config> c = LoadConfigFile(DIPHUB_SOURCE_DIR "/no/such/diphub.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().help().find("no/such/diphub.yaml"), std::string::npos);
}

}  // namespace
}  // namespace diphub::broker

namespace diphub::broker {
namespace {

constexpr const char* kRoutingParticipants = R"(
participants:
  - {dip_id: "1100000001", role: SDS, mpid: DSDS}
  - {dip_id: "1200000001", role: MDR, mpid: DMDR}
  - {dip_id: "1300000001", role: SUP, mpid: DSUP}
)";

TEST(RoutingConfigTest, ReadsEverySetting) {
  dip::Result<Config> c = ParseConfig(std::string(kRoutingParticipants) + R"(
routing:
  queue_capacity: 128
  pairings: [{sds: "1100000001", mdr: "1200000001"}]
  mdr_opt_in: {"1200000001": [PUB-006, IF-008]}
  always: {IF-047: ["1300000001"]}
  publications: {IF-021: {receivers: "SUP DS", by_mpan: true}, IF-061: {senders: "SDS SUP"}}
)",
                                      "test");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const routing::Policy& p = c.value().routing.policy;
  EXPECT_EQ(c.value().routing.queue_capacity, 128u);
  EXPECT_TRUE(p.Paired("1100000001", "1200000001"));
  EXPECT_FALSE(p.Paired("1200000001", "1100000001"));
  EXPECT_TRUE(p.OptedIn("1200000001", "PUB-006"));
  EXPECT_TRUE(p.OptedIn("1200000001", "PUB-008"));
  EXPECT_FALSE(p.OptedIn("1200000001", "PUB-024"));
  EXPECT_EQ(p.always.at("IF-047"), std::vector<std::string>{"1300000001"});
  EXPECT_TRUE(p.RuleFor("IF-021").by_mpan);
  EXPECT_EQ(routing::RolesToString(p.RuleFor("IF-021").receivers), "SUP, SDS, ADS, UMSDS");
  EXPECT_EQ(routing::RolesToString(p.RuleFor("IF-021").senders), "SDS, ADS, UMSDS")
      << "a row's senders stay the built-in ones unless given";
  EXPECT_EQ(routing::RolesToString(p.RuleFor("IF-061").senders), "SUP, SDS");
  EXPECT_EQ(routing::RolesToString(p.RuleFor("IF-061").receivers), "MDR");
}

TEST(RoutingConfigTest, MistakesNameTheKey) {
  auto rejection = [](const std::string& routing) {
    dip::Result<Config> c = ParseConfig(std::string(kRoutingParticipants) + routing, "test");
    return c.ok() ? std::string() : c.status().help();
  };
  EXPECT_NE(rejection("routing:\n  pairings: [{sds: \"1300000001\", mdr: \"1200000001\"}]\n")
                .find("routing.pairings[0].sds: \"1300000001\" is registered as SUP"),
            std::string::npos);
  EXPECT_NE(rejection("routing:\n  mdr_opt_in: {\"1200000001\": [PUB-061]}\n")
                .find("PUB-061 is not an MPAN-based update"),
            std::string::npos);
  EXPECT_NE(
      rejection("routing:\n  always: {IF-047: [\"1999999999\"]}\n").find("routing.always.IF-047"),
      std::string::npos);
  EXPECT_NE(rejection("routing:\n  publications: {IF-021: {receivers: \"SUP XYZ\"}}\n")
                .find("unknown role \"XYZ\""),
            std::string::npos);
  EXPECT_NE(rejection("routing:\n  publications: {IF-021: {senders: \"DS QQ\"}}\n")
                .find("routing.publications.IF-021.senders: unknown role \"QQ\""),
            std::string::npos);
  EXPECT_NE(rejection("routing:\n  pairngs: []\n").find("unknown key \"pairngs\""),
            std::string::npos);
}

}  // namespace
}  // namespace diphub::broker

namespace diphub::broker {
namespace {

TEST(ParseConfigTest, ZmqPublicKeyAndSection) {
  const std::string key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
  dip::Result<Config> c = Parse(
      "adapters: [zmq]\nzmq: {listen: \"tcp://127.0.0.1:0\"}\nparticipants:\n"
      "  - {dip_id: \"1200000001\", role: MDR, adapter: zmq, zmq_public_key: \"" +
      key + "\"}\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c.value().participants[0].zmq_public_key, key);
  EXPECT_EQ(c.value().participants[0].adapter, "zmq");
  // Kept through the run-time form.
  dip::Result<routing::Participant> back =
      ParticipantFromYaml(YAML::Load(ParticipantToYaml(c.value().participants[0])), "back");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back.value().zmq_public_key, key);

  dip::Result<Config> bad =
      Parse("participants:\n  - {dip_id: \"1200000001\", role: MDR, zmq_public_key: short}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().help().find("zmq_public_key: must be a Z85 CURVE public key"),
            std::string::npos)
      << bad.status().ToString();
}

}  // namespace
}  // namespace diphub::broker

namespace diphub::broker {
namespace {

TEST(ClusterConfigTest, OffByDefaultWithTheHostNameAsNode) {
  dip::Result<Config> c = Parse("hub: {}\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c.value().cluster.enabled);
  EXPECT_FALSE(c.value().cluster.node.empty());
  EXPECT_EQ(c.value().cluster.lease_ttl_ms, 3000);
  EXPECT_EQ(c.value().cluster.lease_bucket, "diphub_leader");
  EXPECT_EQ(c.value().cluster.unreachable_after_ms, 15000);
  EXPECT_EQ(c.value().cluster.follow_ms, 3000);
}

const char* const kJetStream =
    "storage:\n  engine: jetstream\n  jetstream:\n    servers: [nats://10.0.0.9:4222]\n";

TEST(ClusterConfigTest, ReadsEveryKey) {
  dip::Result<Config> c =
      Parse(std::string(kJetStream) +
            "cluster:\n  enabled: true\n  node: hub-1\n  lease_ttl_ms: 5000\n  lease_bucket: hubs\n"
            "  lease_replicas: 1\n  unreachable_after_ms: 30000\n  follow_ms: 0\n"
            "  servers: [nats://10.0.0.1:4222, tls://nats-2:4222]\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const ClusterOptions& cl = c.value().cluster;
  EXPECT_TRUE(cl.enabled);
  EXPECT_EQ(cl.node, "hub-1");
  EXPECT_EQ(cl.lease_ttl_ms, 5000);
  EXPECT_EQ(cl.lease_bucket, "hubs");
  EXPECT_EQ(cl.lease_replicas, 1);
  EXPECT_EQ(cl.unreachable_after_ms, 30000);
  EXPECT_EQ(cl.follow_ms, 0);
  EXPECT_EQ(cl.servers, (std::vector<std::string>{"nats://10.0.0.1:4222", "tls://nats-2:4222"}));
}

TEST(ClusterConfigTest, TheLeaseUsesTheStreamsServersUnlessToldOtherwise) {
  dip::Result<Config> c = Parse(std::string(kJetStream) + "cluster:\n  enabled: true\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c.value().cluster.servers, (std::vector<std::string>{"nats://10.0.0.9:4222"}));
}

TEST(ClusterConfigTest, BadValuesNameTheKeyAndTheRule) {
  EXPECT_NE(Rejection("cluster:\n  enabled: true\n")
                .find("cluster.enabled: needs storage.engine: jetstream"),
            std::string::npos);
  EXPECT_NE(
      Rejection("cluster:\n  servers: [http://x:4222]\n").find("cluster.servers: expected nats://"),
      std::string::npos);
  EXPECT_NE(
      Rejection("cluster:\n  servers: nats://x:4222\n").find("cluster.servers: expected a list"),
      std::string::npos);
  EXPECT_NE(Rejection("cluster:\n  lease_ttl_ms: 100\n").find("cluster.lease_ttl_ms: must be 500"),
            std::string::npos);
  EXPECT_NE(
      Rejection("cluster:\n  lease_ttl_ms: soon\n").find("cluster.lease_ttl_ms: expected a whole"),
      std::string::npos);
  EXPECT_NE(Rejection("cluster:\n  node: \"a b\"\n").find("cluster.node: must be 1 to 64"),
            std::string::npos);
  EXPECT_NE(Rejection("cluster:\n  follow_ms: 50\n").find("cluster.follow_ms: must be 0 (off)"),
            std::string::npos);
  EXPECT_NE(Rejection("cluster:\n  lease_bucket: a.b\n").find("cluster.lease_bucket"),
            std::string::npos);
  EXPECT_NE(
      Rejection("cluster:\n  lease_replicas: 7\n").find("cluster.lease_replicas: must be 1 to 5"),
      std::string::npos);
  EXPECT_NE(Rejection("cluster:\n  lease_ttl_ms: 5000\n  unreachable_after_ms: 4000\n")
                .find("cluster.unreachable_after_ms: must be at least cluster.lease_ttl_ms (5000)"),
            std::string::npos);
  EXPECT_NE(Rejection("cluster:\n  enable: true\n").find("unknown key \"enable\""),
            std::string::npos);
}

}  // namespace
}  // namespace diphub::broker
