// The hub's metrics (docs/metrics.md), on prometheus-cpp.
//
// Children are found without a map on the hot path: label combinations are positions in the
// generated catalogue (event row, interface), a fixed role list and the MSG code table, so a
// child is an array slot, created on first use and kept. Per-recipient children are created
// once per recipient and held by the delivery scheduler. Safe from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dip/catalogue_data.h"
#include "storage/group_commit.h"
#include "storage/records.h"

namespace diphub::broker {

// A fixed-size table of metric children of one family, created on first use of a slot.
template <typename M>
class LazyChildren {
 public:
  using LabelsFn = std::function<prometheus::Labels(std::size_t slot)>;
  using MakeFn = std::function<M&(prometheus::Family<M>&, const prometheus::Labels&)>;
  LazyChildren(prometheus::Family<M>* family, std::size_t size, LabelsFn labels, MakeFn make)
      : family_(family),
        slots_(new std::atomic<M*>[size]),
        size_(size),
        labels_(std::move(labels)),
        make_(std::move(make)) {
    for (std::size_t i = 0; i < size; ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
  }
  // REQUIRES: slot < size
  M& At(std::size_t slot) {
    M* m = slots_[slot].load(std::memory_order_acquire);
    if (m != nullptr) return *m;
    std::lock_guard lock(mu_);
    m = slots_[slot].load(std::memory_order_relaxed);
    if (m == nullptr) {
      m = &make_(*family_, labels_(slot));
      slots_[slot].store(m, std::memory_order_release);
    }
    return *m;
  }
  std::size_t size() const { return size_; }

 private:
  prometheus::Family<M>* family_;
  std::unique_ptr<std::atomic<M*>[]> slots_;
  std::size_t size_;
  LabelsFn labels_;
  MakeFn make_;
  std::mutex mu_;
};

// The children of one recipient, created once and held by its delivery queue.
struct RecipientProbe {
  prometheus::Counter* by_status[7] = {};  // indexed by storage::OutboundStatus
  prometheus::Counter* retries = nullptr;
  prometheus::Counter* dead_letters = nullptr;
  prometheus::Gauge* queue_depth = nullptr;
  prometheus::Gauge* in_flight = nullptr;
};

// The stages of a message's way through the hub, each a child of diphub_stage_seconds
// (docs/metrics.md), so a tail can be traced to the stage it comes from.
enum class Stage {
  kIngest,            // request read -> queued for the group commit (auth, parse, routing)
  kCommitQueue,       // queued -> taken into a batch by a committer
  kCommitChecks,      // taken -> write begins (duplicate checks, seq turn)
  kCommitWrite,       // WriteBatch + fsync
  kCommitSync,        // the fsync part of kCommitWrite: written -> a sync covering it done
  kCommitAnswerWait,  // written -> answered (behind the answers of earlier batches)
  kDeliveryWait,      // handed to delivery -> the POST (or DELIVER) carrying it is built
  kDeliveryPost,      // that batch built, sent and answered
  kCount
};

struct StorageGauges {
  double sst_bytes = 0, memtable_bytes = 0, pending_compaction_bytes = 0, message_log_bytes = 0;
};

class Probe {
 public:
  Probe();
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // `event_row` is the catalogue row of an accepted message.
  void Accepted(const dip::generated::EventRow* event_row, std::string_view sender_role,
                std::size_t messages);
  // Any of interface / event / role may be unknown or invalid: they count as unknown / other.
  void Rejected(std::string_view interface_id, std::string_view event_code,
                std::string_view sender_role, std::string_view code, std::size_t messages);
  void Overloaded() { overloaded_->Increment(); }
  // Status messages (POST /statusmessage): `accepted` ones by the code they report (RCP1061...),
  // rejected ones by the code the hub answered (MSG1001...). Codes come from the DIP's table.
  void StatusMessages(bool accepted, std::string_view code, std::size_t n);
  void Batch(const storage::BatchStats& s);
  // storage.engine jetstream: one writer round's publish (every part, until the last PubAck),
  // and the log entries replayed at open.
  void JetStreamPublish(double seconds) { jetstream_publish_seconds_->Observe(seconds); }
  void JetStreamReplayed(double entries) { jetstream_replayed_->Increment(entries); }
  void JetStreamRestored(double parts) { jetstream_restored_->Increment(parts); }
  void StageTime(Stage stage, double seconds) {
    stages_[static_cast<std::size_t>(stage)]->Observe(seconds);
  }

  RecipientProbe* ForRecipient(const std::string& dip_id);
  // Acceptance -> 2xx of one message published on `interface_id`.
  void DeliveryLatency(std::string_view interface_id, double seconds);

  // SLA: `pair` is the index into the configured pairs; names are "PUB-061->IF-062".
  void SetSlaPairs(const std::vector<std::string>& names);
  void SlaResponse(std::size_t pair, double seconds);
  void SlaBreach(std::size_t pair, const std::string& participant);

  void SetReady(bool ready) { ready_->Set(ready ? 1 : 0); }
  // With cluster.enabled: diphub_cluster_leader 1 while this node holds the leader lease (a
  // standby's metrics address answers 0). A single node exports no diphub_cluster_leader.
  void SetClusterLeader(bool leader);
  void SetStorage(const StorageGauges& g);
  // The routing shards' appointment maps: MPANs held and bytes allocated.
  void SetRouting(double mpans, double memory_bytes) {
    routing_mpans_->Set(mpans);
    routing_memory_bytes_->Set(memory_bytes);
  }
  // Reads /proc/self and updates the process_* metrics.
  void SampleProcess();

  // Every metric family name this probe registers.
  std::vector<std::string> FamilyNames() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::string> names_;  // every family registered, children or not
  std::unique_ptr<LazyChildren<prometheus::Counter>> accepted_;
  std::unique_ptr<LazyChildren<prometheus::Counter>> rejected_;
  prometheus::Counter* overloaded_;
  prometheus::Family<prometheus::Counter>* status_messages_;
  prometheus::Histogram* batch_messages_;
  prometheus::Histogram* write_seconds_;
  prometheus::Histogram* jetstream_publish_seconds_;
  prometheus::Counter* jetstream_replayed_;
  prometheus::Counter* jetstream_restored_;
  prometheus::Histogram* stages_[static_cast<std::size_t>(Stage::kCount)] = {};
  prometheus::Family<prometheus::Counter>* deliveries_;
  prometheus::Family<prometheus::Counter>* retries_;
  prometheus::Family<prometheus::Counter>* dead_letters_;
  prometheus::Family<prometheus::Gauge>* queue_depth_;
  prometheus::Family<prometheus::Gauge>* in_flight_;
  std::unique_ptr<LazyChildren<prometheus::Histogram>> latency_;
  prometheus::Family<prometheus::Histogram>* sla_response_;
  prometheus::Family<prometheus::Counter>* sla_breaches_;
  std::vector<prometheus::Histogram*> sla_by_pair_;
  std::vector<std::string> sla_names_;
  prometheus::Gauge* ready_;
  prometheus::Family<prometheus::Gauge>* cluster_leader_family_;
  prometheus::Gauge* cluster_leader_ = nullptr;  // added by the first SetClusterLeader()
  prometheus::Gauge* sst_bytes_;
  prometheus::Gauge* memtable_bytes_;
  prometheus::Gauge* pending_compaction_bytes_;
  prometheus::Gauge* message_log_bytes_;
  prometheus::Gauge* routing_mpans_;
  prometheus::Gauge* routing_memory_bytes_;
  prometheus::Counter* cpu_seconds_;
  prometheus::Gauge* rss_bytes_;
  prometheus::Gauge* vm_bytes_;
  prometheus::Gauge* open_fds_;
  prometheus::Gauge* max_fds_;
  prometheus::Gauge* start_time_;
  double cpu_seen_ = 0;

  std::mutex mu_;  // guards the maps below (once per recipient / per breach, not per message)
  std::map<std::string, std::unique_ptr<RecipientProbe>, std::less<>> recipients_;
  std::map<std::pair<std::size_t, std::string>, prometheus::Counter*> breaches_;
  std::map<std::pair<bool, std::string>, prometheus::Counter*> status_by_code_;
};

}  // namespace diphub::broker
