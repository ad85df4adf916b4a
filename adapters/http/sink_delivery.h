// One POST a webhook receiver (WebhookSink) took: kept apart from webhook_sink.h so that code
// which only reads deliveries does not compile Asio and Beast.
#pragma once

#include <chrono>
#include <string>

#include "dip/status.h"

namespace diphub::adapters::http {

struct SinkDelivery {
  std::string target;     // the request path
  std::string body;       // DIPMessageEgressArray JSON
  dip::Status signature;  // OK when the X-DIP headers verify
  // When the sink began handling the POST (read whole, before the signature check).
  std::chrono::steady_clock::time_point received;
};

}  // namespace diphub::adapters::http
