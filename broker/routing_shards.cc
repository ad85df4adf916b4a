#include "broker/routing_shards.h"

#include <string>

#include "dip/thread_name.h"
#include "routing/shard.h"

namespace diphub::broker {

void ShardState::Apply(const storage::AppointmentRow& row) {
  const routing::PartyId party = row.party.empty() ? 0 : parties.Intern(row.party);
  appointments.Apply(row.mpan, static_cast<routing::Slot>(row.slot), party, row.from_day);
}

struct RoutingShards::Shard {
  explicit Shard(std::size_t capacity) : queue(capacity) {}
  ShardState state;
  boost::lockfree::queue<Task*> queue;  // routing tasks (bounded: capacity is fixed)

  std::mutex control_mu;
  std::deque<Task> control;  // guarded by control_mu
  std::atomic<bool> has_control{false};

  std::atomic<std::uint32_t> signal{0};  // bumped on every post; the thread waits on it
  std::atomic<bool> sleeping{false};
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> mpans{0}, memory_bytes{0};
  std::thread thread;
};

RoutingShards::RoutingShards(std::size_t shards, std::size_t queue_capacity,
                             std::shared_ptr<const routing::Policy> policy) {
  for (std::size_t i = 0; i < std::max<std::size_t>(shards, 1); ++i) {
    auto s = std::make_unique<Shard>(queue_capacity);
    s->state.index = i;
    s->state.policy = policy;
    shards_.push_back(std::move(s));
  }
}

RoutingShards::~RoutingShards() { Stop(); }

std::size_t RoutingShards::ShardOf(std::string_view key) const {
  return routing::ShardFor(key, shards_.size());
}

void RoutingShards::Load(const storage::AppointmentRow& row) {
  Shard& s = *shards_[ShardOf(routing::MpanCore(row.mpan))];
  s.state.Apply(row);
}

void RoutingShards::Start() {
  if (started_) return;
  started_ = true;
  for (auto& s : shards_) {
    s->mpans = s->state.appointments.size();
    s->memory_bytes = s->state.appointments.MemoryBytes();
    Shard* raw = s.get();
    s->thread = std::thread([this, raw] { Run(*raw); });
    dip::NameThread(s->thread, "diphub-route-" + std::to_string(s->state.index));
  }
}

void RoutingShards::Stop() {
  if (!started_.exchange(false)) return;
  stopped_ = true;
  for (auto& s : shards_) s->stop = true;
  while (posting_.load() != 0) std::this_thread::yield();
  for (auto& s : shards_) Wake(*s);
  for (auto& s : shards_) {
    if (s->thread.joinable()) s->thread.join();
  }
  DrainStopped();
}

void RoutingShards::DrainStopped() {
  for (auto& s : shards_) {
    std::deque<Task> control;
    {
      std::lock_guard lock(s->control_mu);
      control.swap(s->control);
    }
    for (Task& t : control) t(s->state);
    Task* t = nullptr;
    while (s->queue.pop(t)) {
      std::unique_ptr<Task> owned(t);
      (*owned)(s->state);
    }
  }
}

void RoutingShards::Wake(Shard& shard) {
  shard.signal.fetch_add(1);
  if (shard.sleeping.load()) shard.signal.notify_one();
}

bool RoutingShards::Post(std::size_t shard, Task task) {
  Shard& s = *shards_[shard];
  posting_.fetch_add(1);
  if (!started_.load() || s.stop.load()) {
    posting_.fetch_sub(1);
    return false;
  }
  auto* t = new Task(std::move(task));
  const bool pushed = s.queue.bounded_push(t);
  if (pushed) Wake(s);
  posting_.fetch_sub(1);
  if (!pushed) delete t;
  return pushed;
}

void RoutingShards::Control(std::size_t shard, Task task) {
  Shard& s = *shards_[shard];
  posting_.fetch_add(1);
  if (!started_.load()) {
    posting_.fetch_sub(1);
    // Before Start() no shard thread runs and the caller may touch the state. After Stop() the
    // task is dropped: what it would change is durable and loaded at the next start.
    if (!stopped_.load()) task(s.state);
    return;
  }
  {
    std::lock_guard lock(s.control_mu);
    s.control.push_back(std::move(task));
    s.has_control = true;
  }
  Wake(s);
  posting_.fetch_sub(1);
}

void RoutingShards::SetPolicy(std::shared_ptr<const routing::Policy> policy) {
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    Control(i, [policy](ShardState& st) { st.policy = policy; });
  }
}

std::uint64_t RoutingShards::mpans() const {
  std::uint64_t n = 0;
  for (const auto& s : shards_) n += s->mpans.load(std::memory_order_relaxed);
  return n;
}

std::uint64_t RoutingShards::memory_bytes() const {
  std::uint64_t n = 0;
  for (const auto& s : shards_) n += s->memory_bytes.load(std::memory_order_relaxed);
  return n;
}

void RoutingShards::Run(Shard& s) {
  auto drain_control = [&s] {
    if (!s.has_control.load()) return;
    std::deque<Task> tasks;
    {
      std::lock_guard lock(s.control_mu);
      tasks.swap(s.control);
      s.has_control = false;
    }
    for (Task& t : tasks) t(s.state);
    s.mpans.store(s.state.appointments.size(), std::memory_order_relaxed);
    s.memory_bytes.store(s.state.appointments.MemoryBytes(), std::memory_order_relaxed);
  };
  for (;;) {
    const std::uint32_t seen = s.signal.load();
    drain_control();
    Task* t = nullptr;
    if (s.queue.pop(t)) {
      std::unique_ptr<Task> owned(t);
      // Again: a control task posted before this routing task (a policy change, a committed
      // appointment) may have arrived since the drain above, and must apply first.
      drain_control();
      (*owned)(s.state);
      continue;
    }
    if (s.stop.load()) {
      drain_control();
      if (s.queue.empty()) return;
      continue;
    }
    s.sleeping = true;
    if (!s.queue.empty() || s.has_control.load() || s.stop.load()) {
      s.sleeping = false;
      continue;
    }
    s.signal.wait(seen);
    s.sleeping = false;
  }
}

}  // namespace diphub::broker
