#include "adapters/http/webhook_sink.h"

#include <algorithm>

namespace diphub::adapters::http {
namespace bhttp = boost::beast::http;

WebhookSink::WebhookSink(std::string host, std::uint16_t port,
                         std::function<int(const SinkDelivery&)> on_delivery, TlsConfig tls,
                         std::size_t threads)
    : host_(std::move(host)), on_delivery_(std::move(on_delivery)) {
  config_.tls = std::move(tls);
  config_.host = host_;
  config_.port = port;
  config_.threads = std::max<std::size_t>(threads, 1);
}

WebhookSink::~WebhookSink() {
  io_.stop();
  for (std::thread& t : threads_) t.join();
}

std::string WebhookSink::Url() const { return Origin() + "/dip"; }

std::string WebhookSink::Origin() const {
  return (config_.tls.certificate_file.empty() ? "http://" : "https://") + host_ + ":" +
         std::to_string(port());
}

dip::Status WebhookSink::Start() {
  server_ =
      std::make_unique<Server>(io_, config_, [this](Request&& req, std::shared_ptr<Responder> r) {
        SinkDelivery d;
        d.received = std::chrono::steady_clock::now();
        d.target = std::string(req.target());
        auto header = [&req](const char* name) {
          auto it = req.find(name);
          return it == req.end() ? std::string() : std::string(it->value());
        };
        dip::SignatureHeaders h{header("X-DIP-Signature-Date"), header("X-DIP-Content-Hash"),
                                header("X-DIP-Signature-Certificate"), header("X-DIP-Signature")};
        // The signed URL is the one the hub was given: rebuild it from our own address.
        std::string url = Origin() + d.target;
        d.signature = verifier_.Verify(std::string(req.method_string()), url, req.body(), h);
        d.body = std::move(req.body());
        int status = on_delivery_(d);
        Response res{static_cast<bhttp::status>(status), 11};
        res.set(bhttp::field::content_type, "application/json");
        res.body() = "{}";
        r->Send(std::move(res));
      });
  if (dip::Status s = server_->Listen(); !s.ok()) return s;
  for (std::size_t i = 0; i < config_.threads; ++i) {
    threads_.emplace_back([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
  return dip::Status::Ok();
}

}  // namespace diphub::adapters::http
