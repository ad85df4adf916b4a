// The delivery scheduler: per-recipient ordered queues, batched webhook POSTs, retries by status
// code with exponential backoff and jitter, and the final status of every delivery.
//
// Recipients are spread over `shards` threads by ShardFor(recipient); a recipient's queue is
// touched only by its shard's thread, so there are no locks on the delivery path. One batch per
// recipient is in flight at a time, so a slow or dead recipient holds only its own queue.
//
// Memory is bounded: a recipient keeps at most `memory_queue_limit` entries in memory; beyond
// that the queue "spills" and is refilled from the store's outbox as it drains.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "broker/adapter.h"
#include "broker/config.h"
#include "broker/probe.h"
#include "broker/sla.h"
#include "routing/registry.h"
#include "storage/store.h"

namespace diphub::broker {

class DeliveryScheduler {
 public:
  using RegistryFn = std::function<std::shared_ptr<const routing::Registry>()>;
  using AdapterFn = std::function<Adapter*(std::string_view name)>;

  // `sla` may be null (no SLA monitoring).
  DeliveryScheduler(storage::Store* store, std::size_t shards, DeliveryOptions options,
                    RegistryFn registry, AdapterFn adapter_for, Probe* probe, SlaTracker* sla);
  ~DeliveryScheduler();

  // Starts the shard threads and queues every delivery left in the outbox by an earlier run.
  dip::Status Start();
  // Stops the shard threads; undelivered entries stay in the outbox for the next start.
  void Stop();

  // New durable messages; call in commit order. Safe from any thread.
  void Enqueue(const std::vector<storage::MessageRecord>& records);
  // A recipient's webhook or registration changed: try its queue now. Safe from any thread.
  void Kick(std::string_view recipient);

  // Pauses or resumes deliveries to `recipient` (the outbound status is Paused meanwhile).
  // Safe from any thread; call before Start() for recipients paused in an earlier run.
  void SetPaused(std::string_view recipient, bool paused);
  // Entries were put back in `recipient`'s outbox (requeue, dead-letter replay): re-read it.
  void Reload(std::string_view recipient);

  // True while every shard thread runs.
  bool running() const;

 private:
  struct Shard;
  struct Recipient;
  void Pump(Shard& shard, Recipient& r);
  void Refill(Recipient& r);
  void OnResult(Shard& shard, const std::string& recipient, std::size_t count,
                DeliveryResult result);
  void FinishFront(Recipient& r, std::size_t count, storage::OutboundStatus status,
                   const DeliveryResult& result);
  void RecordRetrying(Recipient& r, std::size_t count, const DeliveryResult& result);
  std::vector<storage::DeliveryOutcome> RecordFront(Recipient& r, std::size_t count,
                                                    storage::OutboundStatus status,
                                                    std::uint32_t attempt,
                                                    const DeliveryResult& result);
  void DoReload(Shard& shard, Recipient& r);
  Shard& ShardOf(std::string_view recipient);
  Recipient& Get(Shard& shard, const std::string& id);

  storage::Store* store_;
  const DeliveryOptions options_;
  RegistryFn registry_;
  AdapterFn adapter_for_;
  Probe* probe_;
  SlaTracker* sla_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace diphub::broker
