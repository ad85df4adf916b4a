#include "broker/hub.h"

#include <prometheus/exposer.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "dip/catalogue.h"
#include "dip/thread_name.h"
#include "storage/jetstream_store.h"

namespace diphub::broker {
namespace {

dip::Result<std::string> Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return dip::Status::Config("cannot read \"" + path + "\"");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

dip::Status WritePrivate(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return dip::Status::Io("cannot write \"" + path + "\"");
  out << text;
  out.close();
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return out ? dip::Status::Ok() : dip::Status::Io("cannot write \"" + path + "\"");
}

storage::StoreOptions StoreOptionsOf(const StorageOptions& storage) {
  storage::StoreOptions o;
  o.memtable_bytes = storage.memtable_bytes;
  o.min_free_bytes = storage.min_free_bytes;
  o.message_log = storage.message_log;
  return o;
}

// The store of `storage.engine`. With jetstream, a node that can no longer write to the stream
// (fenced by another writer, or an entry it stored but could not apply) must not answer
// anything more: it exits with status 3, and its restart replays the stream
// (docs/architecture.md#storage-rocksdb-storagedata_dir).
dip::Result<std::unique_ptr<storage::Store>> OpenStore(const StorageOptions& storage,
                                                       const storage::StoreOptions& options,
                                                       Probe* probe) {
  if (storage.engine != "jetstream") return storage::OpenRocksStore(storage.data_dir, options);
  storage::JetStreamOptions js = storage.jetstream;
  js.on_fatal = [](const std::string& reason) {
    spdlog::critical("storage: {}; exiting (status 3) so that a restart replays the stream",
                     reason);
    // A moment for the failed calls' answers (500) to go out; nothing can be stored meanwhile.
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      spdlog::default_logger()->flush();
      std::_Exit(3);
    }).detach();
  };
  js.on_publish = [probe](double seconds) { probe->JetStreamPublish(seconds); };
  js.on_replayed = [probe](std::uint64_t n) { probe->JetStreamReplayed(static_cast<double>(n)); };
  js.on_restored = [probe](std::uint64_t n) { probe->JetStreamRestored(static_cast<double>(n)); };
  return storage::OpenJetStreamStore(storage.data_dir, options, js);
}

}  // namespace

dip::Result<std::unique_ptr<storage::JetStreamViewFollower>> StandbyViewFollower(
    const Config& config) {
  if (config.storage.engine != "jetstream") {
    return dip::Status::Config("a standby follows the stream of storage.engine jetstream only");
  }
  return std::make_unique<storage::JetStreamViewFollower>(
      config.storage.data_dir, StoreOptionsOf(config.storage), config.storage.jetstream);
}

Hub::Hub(Config config) : config_(std::move(config)) {
  settings_.dip_id = config_.hub.dip_id;
  settings_.environment_tag = config_.hub.environment_tag;
  settings_.require_api_key = config_.auth.require_api_key;
  settings_.admin_token = config_.auth.admin_token;
  settings_.signatures = config_.auth.signatures;
  settings_.signature_skew_seconds = config_.auth.signature_skew_seconds;
  // Validated by ParseConfig; a Config built otherwise that lists a bad block allows nothing.
  if (auto policy = WebhookPolicy::Make(config_.webhooks.allow_internal); policy.ok()) {
    settings_.webhook_policy = std::move(policy).value();
  }
  settings_.webhook_ca_file = config_.webhooks.ca_file;
}

Hub::~Hub() { Stop(); }

std::shared_ptr<const routing::Registry> Hub::registry() const {
  std::lock_guard lock(registry_mu_);
  return registry_;
}

dip::Status Hub::LoadSigner() {
  std::string key_pem, cert_pem;
  if (!config_.hub.certificate_file.empty()) {
    auto k = Slurp(config_.hub.private_key_file);
    auto c = Slurp(config_.hub.certificate_file);
    if (!k.ok()) return k.status();
    if (!c.ok()) return c.status();
    key_pem = std::move(k).value();
    cert_pem = std::move(c).value();
  } else {
    // A self-signed identity kept in the data dir, so it is stable across restarts.
    std::string key_path = config_.storage.data_dir + "/hub-key.pem";
    std::string cert_path = config_.storage.data_dir + "/hub-cert.pem";
    if (std::filesystem::exists(key_path) && std::filesystem::exists(cert_path)) {
      auto k = Slurp(key_path);
      auto c = Slurp(cert_path);
      if (!k.ok()) return k.status();
      if (!c.ok()) return c.status();
      key_pem = std::move(k).value();
      cert_pem = std::move(c).value();
    } else {
      auto kc = dip::GenerateSelfSigned("diphub " + config_.hub.dip_id);
      if (!kc.ok()) return kc.status();
      key_pem = kc.value().key_pem;
      cert_pem = kc.value().cert_pem;
      if (auto s = WritePrivate(key_path, key_pem); !s.ok()) return s;
      if (auto s = WritePrivate(cert_path, cert_pem); !s.ok()) return s;
      spdlog::info("generated a self-signed signing identity in {}", cert_path);
    }
  }
  auto signer = dip::Signer::FromPem(key_pem, cert_pem);
  if (!signer.ok()) return signer.status();
  signer_ = std::move(signer).value();
  return dip::Status::Ok();
}

dip::Status Hub::LoadParticipants() {
  std::vector<routing::Participant> participants = config_.participants;
  auto overrides = store_->ParticipantOverrides();
  if (!overrides.ok()) return overrides.status();
  for (const auto& [id, text] : overrides.value()) {
    std::erase_if(participants, [&id](const routing::Participant& p) { return p.dip_id == id; });
    if (text.empty()) continue;  // deleted at run time
    YAML::Node node;
    try {
      node = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      return dip::Status::Io("stored participant " + id + " is unreadable: " + e.what());
    }
    auto p = ParticipantFromYaml(node, "stored participant " + id);
    if (!p.ok()) return p.status();
    participants.push_back(std::move(p).value());
  }
  auto reg = routing::Registry::Build(std::move(participants));
  if (!reg.ok()) return reg.status();
  std::lock_guard lock(registry_mu_);
  registry_ = std::move(reg).value();
  return dip::Status::Ok();
}

void Hub::KickDelivery(std::string_view recipient) {
  if (delivery_) delivery_->Kick(recipient);
}

Adapter* Hub::AdapterNamed(std::string_view name) {
  for (auto& a : adapters_) {
    if (a->Name() == name) return a.get();
  }
  return nullptr;
}

dip::Status Hub::Start() {
  if (auto s = AdapterRegistry::CheckUnique(); !s.ok()) return s;
  auto store = OpenStore(config_.storage, StoreOptionsOf(config_.storage), &probe_);
  if (!store.ok()) return store.status();
  store_ = std::move(store).value();
  if (auto s = LoadSigner(); !s.ok()) return s;
  if (auto s = LoadParticipants(); !s.ok()) return s;
  if (auto s = StartRouting(); !s.ok()) return s;

  // Four hex digits per data dir, so transaction IDs of two hubs (or a wiped dir) differ.
  auto tag = store_->GetMeta("instance_tag");
  if (!tag.ok()) return tag.status();
  std::string instance_tag = tag.value();
  if (instance_tag.empty()) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04X", std::random_device{}() & 0xFFFFu);
    instance_tag = buf;
    if (auto s = store_->PutMeta("instance_tag", instance_tag); !s.ok()) return s;
  }

  if (!config_.metrics.listen.empty()) {
    try {
      exposer_ = std::make_unique<prometheus::Exposer>(config_.metrics.listen);
    } catch (const std::exception& e) {
      return dip::Status::Config("metrics.listen \"" + config_.metrics.listen +
                                 "\": cannot listen: " + e.what());
    }
    exposer_->RegisterCollectable(probe_.registry());
  }
  // A clustered hub is started only once its node holds the leader lease (broker/main.cc).
  if (config_.cluster.enabled) probe_.SetClusterLeader(true);

  storage::GroupCommitOptions gc;
  gc.max_messages = config_.storage.group_commit_max_messages;
  gc.max_bytes = config_.storage.group_commit_max_bytes;
  gc.max_pending_bytes = config_.storage.max_pending_bytes;
  gc.durability = config_.storage.durability;
  gc.instance_tag = instance_tag;
  committer_ = std::make_unique<storage::GroupCommitter>(
      store_.get(), gc, [this](const storage::BatchStats& s) { probe_.Batch(s); });

  if (!config_.sla.pairs.empty()) sla_ = std::make_unique<SlaTracker>(config_.sla, &probe_);
  delivery_ = std::make_unique<DeliveryScheduler>(
      store_.get(), ShardCount(config_.hub), config_.delivery, [this] { return registry(); },
      [this](std::string_view name) { return AdapterNamed(name); }, &probe_, sla_.get());
  ingest_ = std::make_unique<Ingest>(
      &settings_, [this] { return registry(); }, routing_.get(), committer_.get(), &probe_,
      sla_.get(),
      [this](const std::vector<storage::MessageRecord>& records) { delivery_->Enqueue(records); });
  status_ = std::make_unique<StatusIngest>(
      &settings_, [this] { return registry(); }, store_.get(), committer_.get(), &probe_,
      [this](const std::vector<storage::MessageRecord>& records) { delivery_->Enqueue(records); });

  for (const std::string& name : config_.adapters) {
    const AdapterFactory* factory = AdapterRegistry::Find(name);
    if (factory == nullptr) {
      std::string known;
      for (const std::string& n : AdapterRegistry::Names())
        known += (known.empty() ? "" : ", ") + n;
      return dip::Status::Config("adapters: no adapter named \"" + name + "\" (built in: " + known +
                                 ")");
    }
    auto adapter = (*factory)(*this, config_.adapter_sections[name]);
    if (!adapter.ok()) return adapter.status();
    adapters_.push_back(std::move(adapter).value());
  }
  queries_ = std::make_unique<DeliveryQueries>(store_.get(), delivery_.get());
  if (auto s = queries_->LoadPaused(); !s.ok()) return s;
  if (auto s = delivery_->Start(); !s.ok()) return s;
  for (auto& a : adapters_) {
    if (auto s = a->Start(); !s.ok()) return s;
  }
  started_ = true;
  sampler_stop_ = false;
  sampler_ = std::thread([this] {
    std::unique_lock lock(sampler_mu_);
    do {
      lock.unlock();
      Sample();
      lock.lock();
    } while (
        !sampler_cv_.wait_for(lock, std::chrono::seconds(2), [this] { return sampler_stop_; }));
  });
  dip::NameThread(sampler_, "diphub-sampler");
  return dip::Status::Ok();
}

void Hub::Sample() {
  storage::Store::Stats st = store_->GetStats();
  probe_.SetStorage({static_cast<double>(st.sst_bytes), static_cast<double>(st.memtable_bytes),
                     static_cast<double>(st.pending_compaction_bytes),
                     static_cast<double>(st.message_log_bytes)});
  probe_.SampleProcess();
  probe_.SetRouting(static_cast<double>(routing_->mpans()),
                    static_cast<double>(routing_->memory_bytes()));
  probe_.SetReady(NotReady().empty());
  // Retention, while traffic flows: a bounded slice per tick.
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  auto expired = store_->Expire(now_ms - config_.storage.retention_seconds * 1000, 20000);
  if (!expired.ok()) {
    spdlog::warn("retention: {}", expired.status().ToString());
  } else if (expired.value() > 0) {
    spdlog::info("retention: removed {} messages older than {} s", expired.value(),
                 config_.storage.retention_seconds);
  }
}

std::string Hub::NotReady() const {
  if (!started_ || !store_) return "storage is not open";
  if (!delivery_ || !delivery_->running()) return "delivery shards are not running";
  if (committer_) {
    if (dip::Status s = committer_->SyncFailure(); !s.ok()) {
      return "storage: " + s.help() + "; every send is refused until the hub is restarted";
    }
  }
  for (const auto& a : adapters_) {
    if (!a->Up()) return "adapter " + std::string(a->Name()) + " is not up";
  }
  return "";
}

void Hub::Stop() {
  {
    std::lock_guard lock(sampler_mu_);
    sampler_stop_ = true;
  }
  sampler_cv_.notify_all();
  if (sampler_.joinable()) sampler_.join();
  probe_.SetReady(false);
  if (config_.cluster.enabled) probe_.SetClusterLeader(false);
  for (auto& a : adapters_) a->Stop();  // no new sends
  if (routing_) routing_->Stop();       // route what is queued (it goes on to the committer)
  if (committer_) committer_->Stop();   // finish and answer what is queued
  if (delivery_) delivery_->Stop();     // in-flight batches stay in the outbox
  adapters_.clear();
  queries_.reset();
  delivery_.reset();
  ingest_.reset();
  status_.reset();
  committer_.reset();
  routing_.reset();
  exposer_.reset();
  store_.reset();
  started_ = false;
}

std::vector<std::string> Hub::Endpoints() const {
  std::vector<std::string> out;
  for (const auto& a : adapters_) {
    for (const std::string& e : a->Endpoints()) out.push_back(e);
  }
  if (exposer_) {
    for (int port : exposer_->GetListeningPorts()) {
      std::string host = config_.metrics.listen.substr(0, config_.metrics.listen.rfind(':'));
      out.push_back("metrics=" + host + ":" + std::to_string(port));
    }
  }
  return out;
}

void Hub::Submit(SubmitRequest request, std::function<void(SubmitResponse)> done) {
  ingest_->Submit(std::move(request), std::move(done));
}

void Hub::SubmitStatus(SubmitRequest request, std::function<void(SubmitResponse)> done) {
  status_->Submit(std::move(request), std::move(done));
}

dip::Status Hub::Replace(const routing::Participant& p) {
  auto next = registry()->With(p);
  if (!next.ok()) return next.status();
  if (auto s = store_->PutParticipantOverride(p.dip_id, ParticipantToYaml(p)); !s.ok()) return s;
  {
    std::lock_guard lock(registry_mu_);
    registry_ = std::move(next).value();
  }
  delivery_->Kick(p.dip_id);
  return dip::Status::Ok();
}

dip::Status Hub::PutParticipant(std::string_view dip_id, std::string_view text) {
  YAML::Node node;
  try {
    node = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return dip::Status::Config(std::string("body: not valid JSON or YAML: ") + e.what());
  }
  if (node.IsMap() && !node["dip_id"]) node["dip_id"] = std::string(dip_id);
  auto p = ParticipantFromYaml(node, "body");
  if (!p.ok()) return p.status();
  if (auto s = CheckWebhooks(p.value(), settings_.webhook_policy, "body"); !s.ok()) return s;
  if (p.value().dip_id != dip_id) {
    return dip::Status::Config("body.dip_id: \"" + p.value().dip_id +
                               "\" differs from the DIP ID in the URL");
  }
  std::lock_guard lock(admin_mu_);
  return Replace(p.value());
}

dip::Status Hub::DeleteParticipant(std::string_view dip_id) {
  std::lock_guard lock(admin_mu_);
  if (registry()->Find(dip_id) == nullptr) {
    return dip::Status::Config("no participant " + std::string(dip_id));
  }
  auto next = registry()->Without(dip_id);
  if (!next.ok()) return next.status();
  if (auto s = store_->PutParticipantOverride(dip_id, ""); !s.ok()) return s;
  std::lock_guard rlock(registry_mu_);
  registry_ = std::move(next).value();
  return dip::Status::Ok();
}

dip::Status Hub::SetWebhook(std::string_view dip_id, std::string_view interface_id,
                            std::optional<routing::Webhook> webhook) {
  std::lock_guard lock(admin_mu_);
  const routing::Participant* current = registry()->Find(dip_id);
  if (current == nullptr) return dip::Status::Config("no participant " + std::string(dip_id));
  routing::Participant p = *current;
  if (webhook) {
    if (auto s = settings_.webhook_policy.CheckUrl(webhook->url); !s.ok()) {
      return dip::Status::Config("body.callbackURL: " + s.help());
    }
    p.webhooks[std::string(interface_id)] = *webhook;
  } else {
    auto it = p.webhooks.find(interface_id);
    if (it == p.webhooks.end()) {
      return dip::Status::Config("participant " + std::string(dip_id) + " has no webhook for " +
                                 std::string(interface_id));
    }
    p.webhooks.erase(it);
  }
  return Replace(p);
}

}  // namespace diphub::broker
