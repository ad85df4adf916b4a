// The hub: owns the store, the registry, the group committer, the delivery scheduler, the
// metrics exposer and the adapters, and starts and stops them in order.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/adapter.h"
#include "broker/config.h"
#include "broker/delivery.h"
#include "broker/delivery_queries.h"
#include "broker/hub_api.h"
#include "broker/ingest.h"
#include "broker/probe.h"
#include "broker/routing_shards.h"
#include "broker/sla.h"
#include "broker/status.h"
#include "storage/group_commit.h"
#include "storage/jetstream_store.h"
#include "storage/store.h"

namespace prometheus {
class Exposer;
}

namespace diphub::broker {

// With storage.engine jetstream: the follower of the node's view (storage.data_dir) that a
// standby runs while it waits for the leader lease, bringing the view up to the stream's last
// entry at each CatchUp and writing nothing (storage::JetStreamViewFollower). A config error for
// any other engine.
dip::Result<std::unique_ptr<storage::JetStreamViewFollower>> StandbyViewFollower(
    const Config& config);

class Hub final : public HubApi {
 public:
  explicit Hub(Config config);
  ~Hub() override;

  // Opens storage, loads participants (configuration, then run-time changes), the signing
  // identity, metrics, the committer, delivery (resuming the outbox) and the adapters.
  dip::Status Start();
  // Stops accepting, finishes the commit in progress, stops delivery and closes the store.
  void Stop();

  // "http=127.0.0.1:8080", "metrics=127.0.0.1:9464", ... once started.
  std::vector<std::string> Endpoints() const;
  // The running adapter called `name`, or nullptr (for in-process tools such as the scenario
  // runner, which drives the sim adapter).
  Adapter* AdapterNamed(std::string_view name);

  // HubApi
  const HubSettings& settings() const override { return settings_; }
  std::shared_ptr<const routing::Registry> registry() const override;
  std::shared_ptr<const dip::Signer> signer() const override { return signer_; }
  void Submit(SubmitRequest request, std::function<void(SubmitResponse)> done) override;
  void SubmitStatus(SubmitRequest request, std::function<void(SubmitResponse)> done) override;
  SubmitResponse Validate(const SubmitRequest& request, std::string_view event) override {
    return ingest_->Validate(request, event);
  }
  std::string NotReady() const override;
  DeliveryQueries& queries() override { return *queries_; }
  void KickDelivery(std::string_view recipient) override;
  dip::Status PutParticipant(std::string_view dip_id, std::string_view text) override;
  dip::Status DeleteParticipant(std::string_view dip_id) override;
  dip::Status SetWebhook(std::string_view dip_id, std::string_view interface_id,
                         std::optional<routing::Webhook> webhook) override;
  dip::Status SetPairing(std::string_view sds, std::string_view mdr, bool paired) override;
  dip::Status SetOptIn(std::string_view mdr, std::string_view publication, bool opted_in) override;
  std::string RoutingJson() override;
  dip::Result<std::size_t> ImportAppointments(std::string_view csv) override;
  void QueryMpan(std::string_view mpan_core, std::optional<std::string> caller,
                 std::function<void(int, std::string)> done) override;

 private:
  dip::Status LoadParticipants();
  dip::Status LoadSigner();
  // hub_routing.cc: the routing shards with the stored appointments, the policy (configuration
  // plus run-time changes) and the configured CSV import.
  dip::Status StartRouting();
  // Appends a line to the journal of run-time routing changes and swaps in `next`.
  // REQUIRES: admin_mu_ held.
  dip::Status CommitPolicy(std::shared_ptr<const routing::Policy> next, const std::string& change);
  // Persists `p` as a run-time override and swaps in a registry with it.
  dip::Status Replace(const routing::Participant& p);
  // Every 2 s: RocksDB sizes, process metrics, readiness.
  void Sample();

  Config config_;
  HubSettings settings_;
  Probe probe_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const dip::Signer> signer_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<storage::GroupCommitter> committer_;
  std::unique_ptr<SlaTracker> sla_;
  std::unique_ptr<RoutingShards> routing_;
  std::shared_ptr<const routing::Policy> policy_;  // guarded by admin_mu_
  std::unique_ptr<DeliveryScheduler> delivery_;
  std::unique_ptr<DeliveryQueries> queries_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<StatusIngest> status_;
  std::vector<std::unique_ptr<Adapter>> adapters_;

  mutable std::mutex registry_mu_;
  std::shared_ptr<const routing::Registry> registry_;  // guarded by registry_mu_
  std::mutex admin_mu_;                                // serialises run-time participant changes
  bool started_ = false;

  std::mutex sampler_mu_;
  std::condition_variable sampler_cv_;
  bool sampler_stop_ = false;  // guarded by sampler_mu_
  std::thread sampler_;
};

}  // namespace diphub::broker
