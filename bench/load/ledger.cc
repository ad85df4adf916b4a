#include <algorithm>

#include "bench/load/load.h"
#include "bench/load/messages.h"
#include "dip/dip_time.h"

namespace diphub::load {

Ledger::Ledger(std::uint64_t messages, std::uint64_t warmup)
    : warmup_(warmup), sent_at_(messages), acked_at_(messages), seen_(messages) {
  for (auto& t : sent_at_) t.store(-1, std::memory_order_relaxed);
  for (auto& t : acked_at_) t.store(-1, std::memory_order_relaxed);
}

std::int64_t Ledger::Now() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - origin_)
      .count();
}

void Ledger::Sent(std::uint64_t first, std::size_t count, std::int64_t at_us) {
  for (std::uint64_t s = first; s < first + count; ++s) {
    sent_at_[s].store(at_us, std::memory_order_release);
  }
  sent_.fetch_add(count, std::memory_order_relaxed);
}

void Ledger::Written(std::int64_t late_us) {
  std::lock_guard lock(mu_);
  send_lateness_.Record(late_us);
}

void Ledger::SinkHandled(std::int64_t us) {
  std::lock_guard lock(mu_);
  sink_handling_.Record(us);
}

void Ledger::Acked(std::uint64_t first, std::size_t count, std::int64_t latency_us) {
  const std::int64_t now = Now();
  for (std::uint64_t s = first; s < first + count && s < acked_at_.size(); ++s) {
    acked_at_[s].store(now, std::memory_order_release);
  }
  {
    std::lock_guard lock(mu_);
    (first < warmup_ ? warmup_ack_ : ack_latency_).Record(latency_us);
  }
  acked_.fetch_add(count, std::memory_order_relaxed);
  last_ack_us_.store(Now(), std::memory_order_relaxed);
}

void Ledger::Rejected(std::size_t count, int status, const std::string& body) {
  rejected_.fetch_add(count, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  if (first_problem_.empty()) {
    first_problem_ = "HTTP " + std::to_string(status) + ": " + body.substr(0, 600);
  }
}

void Ledger::ConnectionError(const std::string& what) {
  connection_errors_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  if (first_problem_.empty()) first_problem_ = what;
}

void Ledger::Delivered(std::uint64_t seq) {
  if (seq >= seen_.size()) {
    unknown_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (seen_[seq].exchange(1, std::memory_order_relaxed) != 0) {
    duplicates_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::int64_t sent = sent_at_[seq].load(std::memory_order_acquire);
  const std::int64_t acked = acked_at_[seq].load(std::memory_order_acquire);
  if (acked < 0) before_ack_.fetch_add(1, std::memory_order_relaxed);
  if (sent >= 0 || acked >= 0) {
    const std::int64_t now = Now();
    std::lock_guard lock(mu_);
    if (seq < warmup_) {
      if (sent >= 0) warmup_delivery_.Record(now - sent);
    } else {
      if (sent >= 0) delivery_latency_.Record(now - sent);
      if (acked >= 0) ack_to_delivery_.Record(now - acked);
    }
  }
  delivered_count_.fetch_add(1, std::memory_order_relaxed);
  last_delivery_us_.store(Now(), std::memory_order_relaxed);
}

std::string Ledger::FirstProblem() const {
  std::lock_guard lock(mu_);
  return first_problem_;
}

Histogram Ledger::AckLatency() const {
  std::lock_guard lock(mu_);
  return ack_latency_;
}

Histogram Ledger::DeliveryLatency() const {
  std::lock_guard lock(mu_);
  return delivery_latency_;
}

Histogram Ledger::SendLateness() const {
  std::lock_guard lock(mu_);
  return send_lateness_;
}

Histogram Ledger::SinkHandling() const {
  std::lock_guard lock(mu_);
  return sink_handling_;
}

Histogram Ledger::AckToDelivery() const {
  std::lock_guard lock(mu_);
  return ack_to_delivery_;
}

Histogram Ledger::WarmupAckLatency() const {
  std::lock_guard lock(mu_);
  return warmup_ack_;
}

Histogram Ledger::WarmupDeliveryLatency() const {
  std::lock_guard lock(mu_);
  return warmup_delivery_;
}

Source::Source(const Plan& plan, const std::vector<Sender>& senders, std::int64_t start_us)
    : plan_(plan),
      senders_(senders),
      per_sender_(senders.size(), 0),
      mpans_per_sender_(std::max<std::uint64_t>(1, plan.mpans / senders.size())),
      start_us_(start_us) {}

std::optional<Request> Source::Take() {
  if (next_seq_ >= plan_.messages) return std::nullopt;
  Request r;
  r.first = next_seq_;
  r.count =
      static_cast<std::size_t>(std::min<std::uint64_t>(plan_.batch, plan_.messages - next_seq_));
  r.sender = static_cast<std::size_t>(next_request_++ % senders_.size());
  if (plan_.rate > 0) {
    r.due_us =
        start_us_ + static_cast<std::int64_t>(static_cast<double>(r.first) * 1e6 / plan_.rate);
  }
  const Sender& s = senders_[r.sender];
  const std::string stamp = dip::FormatDipTimestamp(std::chrono::system_clock::now());
  r.body.reserve(r.count * 3300 + 2);
  r.body += '[';
  for (std::size_t k = 0; k < r.count; ++k) {
    const std::uint64_t nth = per_sender_[r.sender]++ % mpans_per_sender_;
    const std::string mpan = MpanCore(r.sender + senders_.size() * nth);
    if (k > 0) r.body += ',';
    AppendConsumption({.mdr = s.mdr,
                       .sds = s.sds,
                       .mpan = mpan,
                       .day = plan_.day,
                       .stamp = stamp,
                       .sequence = r.first + k},
                      &r.body);
  }
  r.body += ']';
  next_seq_ += r.count;
  return r;
}

}  // namespace diphub::load
