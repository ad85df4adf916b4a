#include "broker/probe.h"

#include "dip/catalogue_data.h"

namespace diphub::broker {

Probe::Probe() : registry_(std::make_shared<prometheus::Registry>()) {
  accepted_ = &prometheus::BuildCounter()
                   .Name("diphub_messages_accepted_total")
                   .Help("Messages accepted (201) and durably stored")
                   .Register(*registry_)
                   .Add({});
  overloaded_ = &prometheus::BuildCounter()
                     .Name("diphub_sends_overloaded_total")
                     .Help("Sends answered 429 because the commit queue was full")
                     .Register(*registry_)
                     .Add({});
  auto& rejected = prometheus::BuildCounter()
                       .Name("diphub_messages_rejected_total")
                       .Help("Messages rejected at level 1, by DIP code")
                       .Register(*registry_);
  for (std::size_t i = 0; i < dip::generated::kCodeCount; ++i) {
    std::string code = dip::generated::kCodes[i].code;
    if (code.starts_with("MSG") && code != "MSG0000") {
      rejected_.emplace_back(code, &rejected.Add({{"code", code}}));
    }
  }
  rejected_other_ = &rejected.Add({{"code", "other"}});
  batch_messages_ = &prometheus::BuildHistogram()
                         .Name("diphub_group_commit_messages")
                         .Help("Messages per group commit")
                         .Register(*registry_)
                         .Add({}, prometheus::Histogram::BucketBoundaries{
                                      1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096});
  fsync_seconds_ = &prometheus::BuildHistogram()
                        .Name("diphub_group_commit_write_seconds")
                        .Help("Time to write and fsync one group commit")
                        .Register(*registry_)
                        .Add({}, prometheus::Histogram::BucketBoundaries{
                                     0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                     0.05, 0.1, 0.25, 1});
  auto& deliveries = prometheus::BuildCounter()
                         .Name("diphub_deliveries_total")
                         .Help("Messages leaving the outbox, by outbound status")
                         .Register(*registry_);
  for (std::size_t i = 0; i < deliveries_.size(); ++i) {
    auto status = static_cast<storage::OutboundStatus>(i);
    deliveries_[i] =
        &deliveries.Add({{"status", std::string(storage::OutboundStatusName(status))}});
  }
  auto& posts = prometheus::BuildCounter()
                    .Name("diphub_webhook_posts_total")
                    .Help("Webhook POSTs made, first attempts and retries")
                    .Register(*registry_);
  posts_ = &posts.Add({{"attempt", "first"}});
  retries_ = &posts.Add({{"attempt", "retry"}});
}

void Probe::Rejected(std::string_view code, std::size_t messages) {
  for (auto& [c, counter] : rejected_) {
    if (c == code) {
      counter->Increment(static_cast<double>(messages));
      return;
    }
  }
  rejected_other_->Increment(static_cast<double>(messages));
}

void Probe::Batch(const storage::BatchStats& s) {
  batch_messages_->Observe(static_cast<double>(s.messages));
  fsync_seconds_->Observe(s.write_seconds);
}

void Probe::Delivery(storage::OutboundStatus status, std::size_t messages) {
  deliveries_[static_cast<std::size_t>(status)]->Increment(static_cast<double>(messages));
}

}  // namespace diphub::broker
