// broker/delivery_queries.cc calls two DeliveryScheduler methods (requeue, pause); the fuzz
// target only reaches ParseMessageRequest, so these stand in for broker/delivery.cc and its
// dependencies (asio, spdlog, prometheus-cpp) at link time. Reaching one is a harness bug.
#include <cstdio>
#include <cstdlib>

#include "broker/delivery.h"

namespace diphub::broker {

void DeliveryScheduler::SetPaused(std::string_view, bool) {
  std::fprintf(stderr, "fuzz stub: DeliveryScheduler::SetPaused reached\n");
  std::abort();
}

void DeliveryScheduler::Reload(std::string_view) {
  std::fprintf(stderr, "fuzz stub: DeliveryScheduler::Reload reached\n");
  std::abort();
}

}  // namespace diphub::broker
