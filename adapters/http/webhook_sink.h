// A webhook receiver: what a participant runs to receive publications. It checks each POST's
// X-DIP signature against its body and URL, answers with a chosen status, and hands every
// delivery to a callback. Used by `diphub sink` and by the integration tests.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/http/server.h"
#include "adapters/http/sink_delivery.h"
#include "dip/signature.h"
#include "dip/status.h"

namespace diphub::adapters::http {

class WebhookSink {
 public:
  // `on_delivery` runs on one of the sink's `threads` threads (concurrently when more than
  // one); it returns the HTTP status to answer (201 = taken). With `tls.certificate_file` set
  // the sink is an HTTPS receiver presenting that certificate.
  WebhookSink(std::string host, std::uint16_t port,
              std::function<int(const SinkDelivery&)> on_delivery, TlsConfig tls = {},
              std::size_t threads = 1);
  ~WebhookSink();

  dip::Status Start();
  std::uint16_t port() const { return server_ ? server_->port() : 0; }
  // "http://host:port/dip", or https:// with TLS
  std::string Url() const;

 private:
  std::string Origin() const;  // "http://host:port" or "https://host:port"
  std::string host_;
  HttpAdapterConfig config_;
  std::function<int(const SinkDelivery&)> on_delivery_;
  // Checks each POST's signature; the hub sends the same certificate every time, so it is parsed
  // once, not once per POST.
  dip::Verifier verifier_;
  boost::asio::io_context io_;
  std::unique_ptr<Server> server_;
  std::vector<std::thread> threads_;
};

}  // namespace diphub::adapters::http
