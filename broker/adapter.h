// The edge adapter plug point. Each adapter lives in adapters/<name>/, registers a factory under
// its name with DIPHUB_REGISTER_ADAPTER, and is chosen by configuration ("adapters: [http]" to
// start it; a participant's "adapter: http" to deliver through it). Duplicate names are refused.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "broker/hub_api.h"
#include "dip/status.h"

namespace diphub::broker {

struct DeliveryRequest {
  std::string recipient;  // DIP ID
  std::string url;        // the recipient's webhook for this batch
  std::string body;       // DIPMessageEgressArray JSON
  std::size_t messages = 0;
  std::vector<std::uint64_t> seqs;  // the store sequence of each message, ascending
  bool replay = false;              // the batch holds re-deliveries (requeue, dead-letter replay)
};

struct DeliveryResult {
  int http_status = 0;  // 0 = no HTTP answer (connection refused, reset, timeout)
  std::string error;    // why, when http_status is 0
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  virtual std::string_view Name() const = 0;
  // Starts listening; `hub` outlives the adapter.
  virtual dip::Status Start() = 0;
  // Stops accepting; answers in flight may still complete.
  virtual void Stop() = 0;
  // Sends one batch; `done` is called exactly once, on any thread.
  virtual void Deliver(DeliveryRequest request, std::function<void(DeliveryResult)> done) = 0;
  // True while the adapter serves (for /readyz).
  virtual bool Up() const = 0;
  // Where the adapter listens, for logs and the ready file ("http=127.0.0.1:8080").
  virtual std::vector<std::string> Endpoints() const = 0;
  // False when the adapter reaches its recipients without a webhook URL (the recipient connects
  // to it); the scheduler then batches with the hub's default limits.
  virtual bool UsesWebhooks() const { return true; }
};

// `config` is the adapter's own section of the configuration (may be undefined).
using AdapterFactory =
    std::function<dip::Result<std::unique_ptr<Adapter>>(HubApi& hub, const YAML::Node& config)>;

class AdapterRegistry {
 public:
  // False when the name is taken; the name is then remembered as a duplicate and CheckUnique()
  // fails, so that the hub refuses to start.
  static bool Register(std::string name, AdapterFactory factory);
  // An error naming every adapter registered more than once, else Ok.
  static dip::Status CheckUnique();
  static const AdapterFactory* Find(std::string_view name);
  static std::vector<std::string> Names();
};

#define DIPHUB_REGISTER_ADAPTER(name, factory)   \
  static const bool diphub_adapter_registered_ = \
      ::diphub::broker::AdapterRegistry::Register(name, factory)

}  // namespace diphub::broker
