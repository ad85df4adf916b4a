// The http adapter: the DIP REST API on ingress (api.h) and signed webhook POSTs on egress
// (webhook_client.h), on one io_context with `http.threads` threads.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "adapters/http/config.h"
#include "adapters/http/server.h"
#include "adapters/http/webhook_client.h"
#include "broker/adapter.h"

namespace diphub::adapters::http {

class HttpAdapter final : public broker::Adapter {
 public:
  HttpAdapter(broker::HubApi& hub, HttpAdapterConfig config);
  ~HttpAdapter() override;

  std::string_view Name() const override { return "http"; }
  dip::Status Start() override;
  void Stop() override;
  void Deliver(broker::DeliveryRequest request,
               std::function<void(broker::DeliveryResult)> done) override;
  std::vector<std::string> Endpoints() const override;
  bool Up() const override { return up_.load(); }

 private:
  broker::HubApi& hub_;
  const HttpAdapterConfig config_;
  boost::asio::io_context io_;
  std::unique_ptr<WebhookClient> client_;  // declared after io_, which it uses
  std::unique_ptr<Server> server_;
  std::vector<std::thread> threads_;
  std::atomic<bool> up_{false};
  dip::Verifier verifier_;  // X-DIP signatures on sends, with its certificate cache
};

}  // namespace diphub::adapters::http
