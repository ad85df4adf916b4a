// The delivery scheduler: per-recipient ordered queues, batched webhook POSTs, retries by status
// code with exponential backoff and jitter, and the final status of every delivery.
//
// Recipients are spread over `shards` threads by ShardFor(recipient); a recipient's queue is
// touched only by its shard's thread, so there are no locks on the delivery path. One batch per
// recipient is in flight at a time, so a slow or dead recipient holds only its own queue.
//
// Outcomes are written to the store by one recorder thread, not by the shards: a store write
// waits behind the group commit's fsync, and a shard that waited for it would leave its
// recipients idle. A recipient's next batch goes out as soon as the previous one is answered;
// at most kMaxUnrecorded of its answered batches wait for the recorder at a time.
//
// Memory is bounded: a recipient keeps at most `memory_queue_limit` entries in memory; beyond
// that the queue "spills" and is refilled from the store's outbox as it drains.
#pragma once

#include <atomic>
#include <cstdint>
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

  // New durable messages; call in commit order (GroupCommitter answers in seq order). Safe from
  // any thread.
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
  class Recorder;
  // Answered batches of one recipient whose outcomes are not written yet; past this, the
  // recipient's next batch waits for the recorder (bounds the recorder's queue).
  static constexpr std::uint32_t kMaxUnrecorded = 4;
  void Pump(Shard& shard, Recipient& r);
  void Refill(Recipient& r);
  void OnResult(Shard& shard, const std::string& recipient, std::size_t count,
                DeliveryResult result);
  void FinishFront(Shard& shard, Recipient& r, std::size_t count, storage::OutboundStatus status,
                   const DeliveryResult& result);
  void RecordRetrying(Shard& shard, Recipient& r, std::size_t count, const DeliveryResult& result);
  // One outcome per message of the batch at the front of the queue, all with `status`.
  std::vector<storage::DeliveryOutcome> FrontOutcomes(const Recipient& r, std::size_t count,
                                                      storage::OutboundStatus status,
                                                      std::uint32_t attempt,
                                                      const DeliveryResult& result) const;
  // Queues `outcomes` for the recorder; the recipient's count of unrecorded batches drops
  // when they are written.
  void Record(Shard& shard, Recipient& r, std::vector<storage::DeliveryOutcome> outcomes);
  void OnRecorded(Shard& shard, Recipient& r, storage::OutboundStatus status, std::size_t n);
  // Reloads `r` if a reload is asked for and nothing of it is in flight or unrecorded.
  void MaybeReload(Shard& shard, Recipient& r);
  void DoReload(Shard& shard, Recipient& r);
  Shard& ShardOf(std::string_view recipient);
  void RaiseHandedOff(std::uint64_t seq);
  Recipient& Get(Shard& shard, const std::string& id);

  storage::Store* store_;
  const DeliveryOptions options_;
  RegistryFn registry_;
  AdapterFn adapter_for_;
  Probe* probe_;
  SlaTracker* sla_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<Recorder> recorder_;
  // The highest seq handed to Enqueue() (or stored before Start()). A refill from the store
  // takes nothing past it: deliveries to a recipient go in seq order, which the store's
  // per-recipient cursor relies on (storage/rocks_layout.h).
  std::atomic<std::uint64_t> handed_off_{0};
};

}  // namespace diphub::broker
