// The broker's metrics, on prometheus-cpp. Children are looked up once at start; the hot path
// only increments references it already holds. The full metric set (per interface, per
// recipient, latency histograms) is the observability work; these are the foundation's.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/group_commit.h"
#include "storage/records.h"

namespace diphub::broker {

class Probe {
 public:
  Probe();
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void Accepted(std::size_t messages) { accepted_->Increment(static_cast<double>(messages)); }
  // `code` is a DIP code ("MSG1001"); unknown codes count under "other".
  void Rejected(std::string_view code, std::size_t messages);
  void Overloaded() { overloaded_->Increment(); }
  void Batch(const storage::BatchStats& s);
  void Delivery(storage::OutboundStatus status, std::size_t messages);
  void DeliveryAttempt(bool retry) { (retry ? retries_ : posts_)->Increment(); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter* accepted_;
  prometheus::Counter* overloaded_;
  std::vector<std::pair<std::string, prometheus::Counter*>> rejected_;
  prometheus::Counter* rejected_other_;
  prometheus::Histogram* batch_messages_;
  prometheus::Histogram* fsync_seconds_;
  std::array<prometheus::Counter*, 7> deliveries_{};
  prometheus::Counter* posts_;
  prometheus::Counter* retries_;
};

}  // namespace diphub::broker
