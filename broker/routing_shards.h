// The routing shards: N threads, each the only owner of the routing state of the MPANs that
// routing::ShardFor maps to it — their appointment map and party table — and of its copy of the
// routing policy. Work reaches a shard as a task:
//   - routing tasks (a send's messages for this shard) through a bounded lock-free queue; a full
//     queue refuses the task and the sender is answered 429;
//   - control tasks (apply committed appointment changes, new policy, MPAN queries, imports)
//     through a small unbounded queue that the shard drains before each routing task, so a
//     change posted before a sender is answered is seen by that sender's next message.
// Nothing on the routing path takes a lock.
#pragma once

#include <atomic>
#include <boost/lockfree/queue.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include "routing/appointments.h"
#include "routing/policy.h"
#include "storage/records.h"

namespace diphub::broker {

// What one shard owns. Touched only on the shard's thread (or before Start()).
struct ShardState {
  std::size_t index = 0;
  routing::AppointmentMap appointments;
  routing::PartyTable parties;
  std::shared_ptr<const routing::Policy> policy;

  // Applies a committed appointment row (the MPAN must belong to this shard).
  void Apply(const storage::AppointmentRow& row);
};

class RoutingShards {
 public:
  using Task = std::function<void(ShardState&)>;

  // `shards` threads, each with a routing queue of `queue_capacity` tasks.
  RoutingShards(std::size_t shards, std::size_t queue_capacity,
                std::shared_ptr<const routing::Policy> policy);
  ~RoutingShards();  // Stop()s

  std::size_t size() const { return shards_.size(); }
  // The shard that owns `key` (an MPAN core, or a sender DIP ID for messages without one).
  std::size_t ShardOf(std::string_view key) const;

  // Before Start(): applies a stored appointment row to its owner's state.
  void Load(const storage::AppointmentRow& row);

  void Start();
  // Runs what is queued, then joins the threads. Idempotent.
  void Stop();

  // A routing task; false (task dropped) when the shard's queue is full or the shards stopped.
  // Safe from any thread.
  bool Post(std::size_t shard, Task task);
  // A control task; never refused while running; run at once before Start(); dropped after
  // Stop(). Safe from any thread.
  void Control(std::size_t shard, Task task);
  // Hands every shard the new policy (as control tasks).
  void SetPolicy(std::shared_ptr<const routing::Policy> policy);

  // MPANs held and bytes used, summed over the shards (read by the metrics sampler; the figures
  // are published by each shard after it applies changes, so they may lag slightly).
  std::uint64_t mpans() const;
  std::uint64_t memory_bytes() const;

 private:
  struct Shard;
  void Run(Shard& shard);
  static void Wake(Shard& shard);

  // Runs every task still queued on the calling thread. REQUIRES: the shard threads joined.
  void DrainStopped();

  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<bool> started_{false};
  // Post()/Control() calls between their check of started_ and their push; Stop() waits for
  // them, so no task is pushed after the last drain.
  std::atomic<int> posting_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace diphub::broker
