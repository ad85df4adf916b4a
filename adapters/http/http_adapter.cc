#include "adapters/http/http_adapter.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "adapters/http/api.h"
#include "dip/thread_name.h"

namespace diphub::adapters::http {

HttpAdapter::HttpAdapter(broker::HubApi& hub, HttpAdapterConfig config)
    : hub_(hub),
      config_([&hub, &config] {
        config.dip_id = hub.settings().dip_id;  // the senderID of the server's own answers
        return std::move(config);
      }()),
      // Egress exists from construction: delivery may resume the outbox before ingress opens.
      client_(std::make_unique<WebhookClient>(io_, config_.webhook_timeout, hub_.signer(),
                                              hub_.settings().webhook_policy,
                                              hub_.settings().webhook_ca_file)) {}

HttpAdapter::~HttpAdapter() {
  Stop();
  // Answers posted by the final group commit are written within this grace period.
  if (!threads_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  io_.stop();
  for (std::thread& t : threads_) t.join();
}

dip::Status HttpAdapter::Start() {
  if (!client_->status().ok()) return client_->status();
  server_ =
      std::make_unique<Server>(io_, config_, [this](Request&& req, std::shared_ptr<Responder> r) {
        HandleApiRequest(hub_, verifier_, std::move(req), std::move(r),
                         config_.tls.certificate_file.empty() ? "http" : "https");
      });
  if (dip::Status s = server_->Listen(); !s.ok()) return s;
  for (std::size_t i = 0; i < config_.threads; ++i) {
    threads_.emplace_back([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
    dip::NameThread(threads_.back(), "diphub-http-" + std::to_string(i));
  }
  up_ = true;
  spdlog::info("http: DIP API listening on {}://{}:{}{}",
               config_.tls.certificate_file.empty() ? "http" : "https", config_.host,
               server_->port(),
               config_.tls.client_ca_file.empty() ? "" : " (client certificates required)");
  return dip::Status::Ok();
}

void HttpAdapter::Stop() {
  up_ = false;
  if (server_) server_->StopAccepting();
}

void HttpAdapter::Deliver(broker::DeliveryRequest request,
                          std::function<void(broker::DeliveryResult)> done) {
  client_->Post(std::move(request), std::move(done));
}

std::vector<std::string> HttpAdapter::Endpoints() const {
  if (!server_) return {};
  std::string host =
      config_.host.find(':') != std::string::npos ? "[" + config_.host + "]" : config_.host;
  return {"http=" + host + ":" + std::to_string(server_->port())};
}

namespace {

dip::Result<std::unique_ptr<broker::Adapter>> Make(broker::HubApi& hub, const YAML::Node& node) {
  auto config = ParseHttpAdapterConfig(node);
  if (!config.ok()) return config.status();
  return std::unique_ptr<broker::Adapter>(new HttpAdapter(hub, std::move(config).value()));
}

}  // namespace

DIPHUB_REGISTER_ADAPTER("http", Make);

}  // namespace diphub::adapters::http
