#include "broker/delivery.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <utility>

#include "dip/catalogue.h"
#include "dip/egress.h"
#include "dip/thread_name.h"
#include "routing/shard.h"

namespace diphub::broker {
namespace net = boost::asio;
using storage::OutboundStatus;

struct DeliveryScheduler::Recipient {
  Recipient(net::io_context& io, std::string id, RecipientProbe* p)
      : dip_id(std::move(id)), probe(p), timer(io) {}
  bool paused = false;
  bool reload_after = false;  // a reload asked for while a batch was in flight or unrecorded
  std::chrono::steady_clock::time_point attempt_started;
  std::chrono::steady_clock::time_point build_started;  // of the batch in flight
  std::string dip_id;
  RecipientProbe* probe;
  std::uint64_t pending = 0;  // accepted and not finished: queue, outbox and in flight
  // The messages of the batch in flight (its first in_flight_count), as read from the store.
  storage::MessageBatch in_flight_batch;
  std::size_t in_flight_count = 0;
  std::deque<storage::OutboxEntry> queue;
  bool spilled = false;       // entries past the memory limit wait in the store's outbox
  std::uint64_t max_seq = 0;  // highest seq taken into `queue` (from memory or the outbox)
  bool in_flight = false;
  std::uint32_t unrecorded = 0;  // answered batches whose outcomes the recorder has not written
  bool backing_off = false;
  std::uint32_t attempts = 0;  // failed attempts of the batch at the front
  bool waiting_logged = false;
  net::steady_timer timer;
};

struct DeliveryScheduler::Shard {
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> work{io.get_executor()};
  std::unordered_map<std::string, std::unique_ptr<Recipient>> recipients;
  std::mt19937 rng{std::random_device{}()};
  std::thread thread;
  std::atomic<bool> running{false};
};

// Writes delivery outcomes for every shard on one thread. Whatever queued while the previous
// write ran goes in the next one, so the writes batch with load the way the group commit does.
// Outcomes are not fsync'd (a lost one means a repeated delivery), but they are written in the
// order they were queued, so a recipient's rows never overtake each other.
class DeliveryScheduler::Recorder {
 public:
  explicit Recorder(storage::Store* store) : store_(store), thread_([this] { Run(); }) {
    dip::NameThread(thread_, "diphub-outcomes");
  }
  ~Recorder() { Stop(); }

  // `done` runs on the recorder thread once `outcomes` are written (or the write failed).
  void Add(std::vector<storage::DeliveryOutcome> outcomes, std::function<void()> done) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back({std::move(outcomes), std::move(done)});
    }
    cv_.notify_one();
  }

  // Writes what is queued and joins the thread. Idempotent.
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Job {
    std::vector<storage::DeliveryOutcome> outcomes;
    std::function<void()> done;
  };

  void Run() {
    std::vector<Job> jobs;
    std::vector<storage::DeliveryOutcome> all;
    for (;;) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left
        jobs.swap(queue_);
      }
      all.clear();
      for (Job& j : jobs) {
        std::move(j.outcomes.begin(), j.outcomes.end(), std::back_inserter(all));
      }
      if (dip::Status s = store_->RecordOutcomes(all); !s.ok()) {
        spdlog::error("delivery: recording {} outcomes failed: {}", all.size(), s.ToString());
      }
      for (Job& j : jobs) j.done();
      jobs.clear();
    }
  }

  storage::Store* store_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Job> queue_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  std::thread thread_;
};

namespace {

// Room for the A0 and D0 blocks the hub writes into a publication (a few recipients, the
// transaction ID, timestamp and correlation ID): the body is sized once for its messages.
constexpr std::size_t kA0D0Bytes = 512;

bool Retryable(int status) {
  return status == 0 || status == 408 || status == 429 || status == 500 || status == 502 ||
         status == 503 || status == 504;
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `p`'s webhook for `interface_id`. Status records go to its status webhook only: a "*" webhook
// takes publications, not status messages.
const routing::Webhook* HookFor(const routing::Participant& p, std::string_view interface_id) {
  if (interface_id != storage::kStatusInterface) return p.WebhookFor(interface_id);
  auto it = p.webhooks.find(interface_id);
  return it == p.webhooks.end() ? nullptr : &it->second;
}

}  // namespace

DeliveryScheduler::DeliveryScheduler(storage::Store* store, std::size_t shards,
                                     DeliveryOptions options, RegistryFn registry,
                                     AdapterFn adapter_for, Probe* probe, SlaTracker* sla)
    : store_(store),
      options_(options),
      registry_(std::move(registry)),
      adapter_for_(std::move(adapter_for)),
      probe_(probe),
      sla_(sla) {
  for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
  recorder_ = std::make_unique<Recorder>(store_);
}

DeliveryScheduler::~DeliveryScheduler() { Stop(); }

DeliveryScheduler::Shard& DeliveryScheduler::ShardOf(std::string_view recipient) {
  return *shards_[routing::ShardFor(recipient, shards_.size())];
}

DeliveryScheduler::Recipient& DeliveryScheduler::Get(Shard& shard, const std::string& id) {
  auto& slot = shard.recipients[id];
  if (!slot) slot = std::make_unique<Recipient>(shard.io, id, probe_->ForRecipient(id));
  return *slot;
}

bool DeliveryScheduler::running() const {
  for (const auto& shard : shards_) {
    if (!shard->running.load()) return false;
  }
  return !shards_.empty();
}

dip::Status DeliveryScheduler::Start() {
  RaiseHandedOff(store_->LastSeq());  // everything stored before the start is committed
  dip::Result<std::vector<std::string>> pending = store_->OutboxRecipients();
  if (!pending.ok()) return pending.status();
  for (const std::string& id : pending.value()) {
    Shard& shard = ShardOf(id);
    Recipient& r = Get(shard, id);
    r.spilled = true;  // everything it has is in the outbox
    dip::Result<std::uint64_t> count = store_->CountOutbox(id);
    if (!count.ok()) return count.status();
    r.pending = count.value();
    r.probe->queue_depth->Set(static_cast<double>(r.pending));
    net::post(shard.io, [this, &shard, &r] { Pump(shard, r); });
  }
  if (!pending.value().empty()) {
    spdlog::info("delivery: resuming pending deliveries for {} recipients", pending.value().size());
  }
  for (auto& shard : shards_) {
    shard->thread = std::thread([s = shard.get()] {
      s->running = true;
      s->io.run();
      s->running = false;
    });
    dip::NameThread(shard->thread, "diphub-deliv-" + std::to_string(&shard - shards_.data()));
  }
  return dip::Status::Ok();
}

void DeliveryScheduler::Stop() {
  for (auto& shard : shards_) {
    shard->work.reset();
    // Handlers already queued (answers of batches, whose outcomes then reach the recorder) run
    // first; only then does the shard stop.
    if (shard->running.load()) {
      net::post(shard->io, [s = shard.get()] { s->io.stop(); });
    } else {
      shard->io.stop();
    }
  }
  for (auto& shard : shards_) {
    if (shard->thread.joinable()) shard->thread.join();
  }
  recorder_->Stop();  // after the shards: their last outcomes are written too
}

void DeliveryScheduler::RaiseHandedOff(std::uint64_t seq) {
  std::uint64_t seen = handed_off_.load();
  while (seq > seen && !handed_off_.compare_exchange_weak(seen, seq)) {
  }
}

void DeliveryScheduler::Enqueue(const std::vector<storage::MessageRecord>& records) {
  for (const storage::MessageRecord& m : records) RaiseHandedOff(m.seq);
  // Group per recipient so each shard gets one hand-off per commit, not one per message.
  std::unordered_map<std::string, std::vector<storage::OutboxEntry>> by_recipient;
  const auto now = std::chrono::steady_clock::now();
  for (const storage::MessageRecord& m : records) {
    for (const std::string& to : m.recipients) {
      by_recipient[to].push_back({to, m.seq, m.interface_id, false, {}, now});
    }
  }
  for (auto& [to, entries] : by_recipient) {
    Shard& shard = ShardOf(to);
    net::post(shard.io, [this, &shard, to = to, entries = std::move(entries)]() mutable {
      Recipient& r = Get(shard, to);
      r.pending += entries.size();
      r.probe->queue_depth->Set(static_cast<double>(r.pending));
      for (storage::OutboxEntry& e : entries) {
        if (e.seq <= r.max_seq) continue;  // already taken from the outbox by a refill
        if (r.spilled || r.queue.size() >= options_.memory_queue_limit) {
          r.spilled = true;
          continue;
        }
        r.max_seq = e.seq;
        r.queue.push_back(std::move(e));
      }
      Pump(shard, r);
    });
  }
}

void DeliveryScheduler::SetPaused(std::string_view recipient, bool paused) {
  Shard& shard = ShardOf(recipient);
  net::post(shard.io, [this, &shard, id = std::string(recipient), paused] {
    Recipient& r = Get(shard, id);
    r.paused = paused;
    if (!paused) Pump(shard, r);
  });
}

void DeliveryScheduler::Reload(std::string_view recipient) {
  Shard& shard = ShardOf(recipient);
  net::post(shard.io, [this, &shard, id = std::string(recipient)] {
    Recipient& r = Get(shard, id);
    r.reload_after = true;
    MaybeReload(shard, r);
  });
}

void DeliveryScheduler::MaybeReload(Shard& shard, Recipient& r) {
  // The outbox is re-read only once every answered batch's outcome is in it.
  if (r.reload_after && !r.in_flight && r.unrecorded == 0) DoReload(shard, r);
}

void DeliveryScheduler::Record(Shard& shard, Recipient& r,
                               std::vector<storage::DeliveryOutcome> outcomes) {
  ++r.unrecorded;
  const OutboundStatus status = outcomes.empty() ? OutboundStatus::kRetrying : outcomes[0].status;
  const std::size_t n = outcomes.size();
  recorder_->Add(std::move(outcomes), [this, &shard, &r, status, n] {
    net::post(shard.io, [this, &shard, &r, status, n] { OnRecorded(shard, r, status, n); });
  });
}

void DeliveryScheduler::OnRecorded(Shard& shard, Recipient& r, OutboundStatus status,
                                   std::size_t n) {
  --r.unrecorded;
  // Counted once stored, so what the metrics show can be read back (journal, dead letters).
  r.probe->by_status[static_cast<std::size_t>(status)]->Increment(static_cast<double>(n));
  if (status == OutboundStatus::kRetriesExhausted) {
    r.probe->dead_letters->Increment(static_cast<double>(n));
  }
  if (r.reload_after) {
    MaybeReload(shard, r);
  } else {
    Pump(shard, r);  // it may have waited for the recorder
  }
}

void DeliveryScheduler::DoReload(Shard& shard, Recipient& r) {
  r.reload_after = false;
  r.queue.clear();
  r.max_seq = 0;
  r.spilled = true;  // everything pending is in the outbox, re-read in seq order
  dip::Result<std::uint64_t> count = store_->CountOutbox(r.dip_id);
  if (count.ok()) {
    r.pending = count.value();
    r.probe->queue_depth->Set(static_cast<double>(r.pending));
  }
  if (r.backing_off) {
    r.timer.cancel();
  } else {
    Pump(shard, r);
  }
}

void DeliveryScheduler::Kick(std::string_view recipient) {
  Shard& shard = ShardOf(recipient);
  net::post(shard.io, [this, &shard, id = std::string(recipient)] {
    Recipient& r = Get(shard, id);
    r.waiting_logged = false;
    if (r.backing_off) {
      r.timer.cancel();  // a new webhook: try now rather than after the backoff
    } else {
      Pump(shard, r);
    }
  });
}

void DeliveryScheduler::Refill(Recipient& r) {
  dip::Result<std::vector<storage::OutboxEntry>> more =
      store_->ScanOutbox(r.dip_id, r.max_seq, options_.memory_queue_limit);
  if (!more.ok()) {
    spdlog::error("delivery: outbox scan for {} failed: {}", r.dip_id, more.status().ToString());
    return;
  }
  if (more.value().size() < options_.memory_queue_limit) r.spilled = false;
  // With several committers a later batch can be in the store before an earlier one is; what
  // is past the hand-off is read again once Enqueue() has passed it (so seq order holds).
  const std::uint64_t handed_off = handed_off_.load();
  for (storage::OutboxEntry& e : more.value()) {
    if (e.seq > handed_off) {
      r.spilled = true;
      break;
    }
    r.max_seq = e.seq;
    r.queue.push_back(std::move(e));
  }
}

void DeliveryScheduler::Pump(Shard& shard, Recipient& r) {
  if (r.in_flight || r.backing_off || r.paused || r.reload_after) return;
  if (r.unrecorded >= kMaxUnrecorded) return;  // OnRecorded pumps again
  if (r.queue.empty() && r.spilled) Refill(r);
  if (r.queue.empty()) return;

  std::shared_ptr<const routing::Registry> reg = registry_();
  const routing::Participant* p = reg->Find(r.dip_id);
  // A batch is publications (a DIPMessageEgressArray) or status messages (a
  // StandardResponseArray), never both.
  const bool status_batch = r.queue.front().interface_id == storage::kStatusInterface;
  Adapter* adapter = p ? adapter_for_(p->adapter) : nullptr;
  // Adapters that need no webhook (the recipient connects to them) batch with the defaults.
  static const routing::Webhook kNoWebhook;
  const bool webhooks = adapter == nullptr || adapter->UsesWebhooks();
  auto hook_for = [p, webhooks](std::string_view iface) {
    return webhooks ? HookFor(*p, iface) : &kNoWebhook;
  };
  const routing::Webhook* hook = p ? hook_for(r.queue.front().interface_id) : nullptr;
  if (hook == nullptr || adapter == nullptr) {
    if (!r.waiting_logged) {
      spdlog::info("delivery: {} messages for {} wait: {}", r.queue.size(), r.dip_id,
                   p == nullptr         ? "recipient is not registered"
                   : adapter == nullptr ? "adapter \"" + p->adapter + "\" is not running"
                                        : "no webhook for " + r.queue.front().interface_id);
      r.waiting_logged = true;
    }
    return;  // Kick() resumes it when the participant or its webhook changes
  }

  const std::size_t max_messages =
      hook->max_messages ? hook->max_messages : options_.max_messages_per_post;
  const std::size_t max_bytes = hook->max_bytes ? hook->max_bytes : options_.max_bytes_per_post;
  const auto build_started = std::chrono::steady_clock::now();
  std::vector<std::uint64_t> seqs;
  std::vector<bool> replays;
  for (const storage::OutboxEntry& e : r.queue) {
    if (seqs.size() >= max_messages) break;
    if ((e.interface_id == storage::kStatusInterface) != status_batch) break;
    const routing::Webhook* h = hook_for(e.interface_id);
    if (h == nullptr || h->url != hook->url) break;  // a batch goes to one URL
    seqs.push_back(e.seq);
    replays.push_back(e.replay);
  }
  // The messages as views of the stored bytes, kept by the recipient until the batch is
  // answered (its latencies and SLA need their interface and correlation IDs).
  dip::Result<storage::MessageBatch> msgs = store_->GetMessageViews(seqs);
  if (!msgs.ok()) {
    spdlog::error("delivery: cannot read messages for {}: {}", r.dip_id, msgs.status().ToString());
    return;
  }
  const storage::MessageBatch& batch = msgs.value();
  // One allocation: each message as received plus the hub's A0 and D0.
  std::size_t reserve = 2;
  for (const storage::MessageView& m : batch) reserve += m.raw.size() + kA0D0Bytes;
  std::string body;
  body.reserve(std::min(reserve, max_bytes + kA0D0Bytes));
  body.push_back('[');
  std::size_t count = 0;
  std::vector<std::uint64_t> batch_seqs;
  batch_seqs.reserve(batch.size());
  bool batch_replay = false;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const storage::MessageView& m = batch[i];
    std::size_t mark = body.size();
    if (count > 0) body.push_back(',');
    if (status_batch) {
      body.append(m.raw);  // the StandardResponseBodyType, rendered when it was accepted
    } else {
      const dip::AddressingView a0{batch.List(m.primary_recipients),
                                   batch.List(m.secondary_recipients),
                                   batch.List(m.always_recipients)};
      const std::string publication_id = dip::PublicationId(m.interface_id);
      const dip::DipBlockView d0{m.transaction_id, m.transaction_timestamp,
                                 publication_id,   m.correlation_id,
                                 replays[i],       std::nullopt};
      if (dip::Status s = dip::AppendEgressMessage(m.raw, a0, d0, &body); !s.ok()) {
        spdlog::error("delivery: message {} for {}: {}", m.seq, r.dip_id, s.ToString());
        body.resize(mark);
        break;
      }
    }
    if (count > 0 && body.size() + 1 > max_bytes) {  // keep the batch under the byte budget
      body.resize(mark);
      break;
    }
    batch_seqs.push_back(m.seq);
    batch_replay = batch_replay || replays[i];
    ++count;
  }
  body.push_back(']');
  if (count == 0) return;
  r.in_flight_batch = std::move(msgs).value();
  r.in_flight_count = count;

  r.in_flight = true;
  r.attempt_started = std::chrono::steady_clock::now();
  r.build_started = build_started;
  for (std::size_t i = 0; i < count; ++i) {
    const auto handed_off = r.queue[i].handed_off;
    if (handed_off != std::chrono::steady_clock::time_point{} && r.attempts == 0) {
      probe_->StageTime(Stage::kDeliveryWait,
                        std::chrono::duration<double>(build_started - handed_off).count());
    }
  }
  if (r.attempts > 0) r.probe->retries->Increment();
  r.probe->in_flight->Set(static_cast<double>(count));
  DeliveryRequest req{r.dip_id,    hook->url, std::move(body), count, std::move(batch_seqs),
                      batch_replay};
  adapter->Deliver(std::move(req), [this, &shard, id = r.dip_id, count](DeliveryResult res) {
    net::post(shard.io, [this, &shard, id, count, res = std::move(res)]() mutable {
      OnResult(shard, id, count, std::move(res));
    });
  });
}

std::vector<storage::DeliveryOutcome> DeliveryScheduler::FrontOutcomes(
    const Recipient& r, std::size_t count, OutboundStatus status, std::uint32_t attempt,
    const DeliveryResult& result) const {
  std::vector<storage::DeliveryOutcome> outcomes;
  const std::int64_t now = NowMs();
  const std::int64_t took = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - r.attempt_started)
                                .count();
  outcomes.reserve(std::min(count, r.queue.size()));
  for (std::size_t i = 0; i < count && i < r.queue.size(); ++i) {
    outcomes.push_back(
        {r.dip_id, r.queue[i].seq, status, result.http_status, attempt, now, took, result.error});
  }
  return outcomes;
}

void DeliveryScheduler::FinishFront(Shard& shard, Recipient& r, std::size_t count,
                                    OutboundStatus status, const DeliveryResult& result) {
  std::vector<storage::DeliveryOutcome> outcomes =
      FrontOutcomes(r, count, status, r.attempts + 1, result);
  const std::size_t n = outcomes.size();
  // The entries leave the memory queue now and the outbox when the recorder has written the
  // outcomes; a refill reads only seqs past the queue's, so it does not see them again.
  Record(shard, r, std::move(outcomes));
  r.queue.erase(r.queue.begin(), r.queue.begin() + static_cast<std::ptrdiff_t>(n));
  r.pending -= std::min<std::uint64_t>(r.pending, n);
  r.probe->queue_depth->Set(static_cast<double>(r.pending));
  r.attempts = 0;
}

// A failed attempt that will be retried: a journal row per message, the entries stay queued.
void DeliveryScheduler::RecordRetrying(Shard& shard, Recipient& r, std::size_t count,
                                       const DeliveryResult& result) {
  Record(shard, r, FrontOutcomes(r, count, OutboundStatus::kRetrying, r.attempts, result));
}

void DeliveryScheduler::OnResult(Shard& shard, const std::string& recipient, std::size_t count,
                                 DeliveryResult result) {
  Recipient& r = Get(shard, recipient);
  r.in_flight = false;
  // The stored bytes are let go once the answer is handled (a retry reads them again).
  const storage::MessageBatch answered = std::move(r.in_flight_batch);
  const std::size_t answered_count = std::exchange(r.in_flight_count, 0);
  r.in_flight_batch = storage::MessageBatch();
  r.probe->in_flight->Set(0);
  probe_->StageTime(
      Stage::kDeliveryPost,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - r.build_started).count());
  const int status = result.http_status;
  if (status >= 200 && status < 300) {
    const std::int64_t now_ms = NowMs();
    const auto now = SlaTracker::Clock::now();
    for (std::size_t i = 0; i < answered_count && i < answered.size(); ++i) {
      const storage::MessageView& m = answered[i];
      if (m.accepted_unix_ms > 0) {
        probe_->DeliveryLatency(m.interface_id,
                                static_cast<double>(now_ms - m.accepted_unix_ms) / 1000.0);
      }
      if (sla_ != nullptr && m.correlation_id && sla_->Tracks(m.interface_id)) {
        sla_->RequestDelivered(m.interface_id, r.dip_id, std::string(*m.correlation_id), now);
      }
    }
    FinishFront(shard, r, count, OutboundStatus::kDelivered, result);
  } else if (!Retryable(status)) {
    spdlog::warn("delivery: {} rejected {} messages with HTTP {}; not retried", recipient, count,
                 status);
    FinishFront(shard, r, count, OutboundStatus::kRejectedByRecipient, result);
  } else if (r.attempts + 1 >= options_.max_attempts) {
    spdlog::warn("delivery: {} messages for {} exhausted {} attempts (last: {}); dead-lettered",
                 count, recipient, options_.max_attempts,
                 status ? "HTTP " + std::to_string(status) : result.error);
    FinishFront(shard, r, count, OutboundStatus::kRetriesExhausted, result);
  } else {
    ++r.attempts;
    RecordRetrying(shard, r, count, result);
    auto base = options_.initial_backoff * (1LL << std::min<std::uint32_t>(r.attempts - 1, 20));
    auto capped = std::min<std::chrono::milliseconds>(base, options_.max_backoff);
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    auto wait = std::chrono::milliseconds(
        static_cast<long long>(static_cast<double>(capped.count()) * jitter(shard.rng)));
    spdlog::debug("delivery: {} attempt {} failed ({}); retry in {} ms", recipient, r.attempts,
                  status ? "HTTP " + std::to_string(status) : result.error, wait.count());
    r.backing_off = true;
    r.timer.expires_after(wait);
    r.timer.async_wait([this, &shard, &r](const boost::system::error_code&) {
      r.backing_off = false;
      if (r.reload_after) {
        MaybeReload(shard, r);
      } else {
        Pump(shard, r);
      }
    });
    if (r.reload_after) r.timer.cancel();
    return;
  }
  if (r.reload_after) {
    MaybeReload(shard, r);  // once the outcomes just queued are written
    return;
  }
  Pump(shard, r);
}

}  // namespace diphub::broker
