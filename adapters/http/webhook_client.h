// Webhook egress: POSTs a DIPMessageEgressArray to a recipient's URL, signed with the hub's
// identity (the four X-DIP headers, computed once per POST), over a kept-alive connection per
// recipient. One POST per recipient at a time (the scheduler guarantees it).
//
// https:// webhooks are TLS 1.2+ with the server's certificate verified: it must chain to
// webhooks.ca_file (default: the system trust store) and name the URL's host (DNS name or IP
// address in subjectAltName); the name is sent as SNI. Before each connect every address the host
// resolves to is checked against the webhook policy (broker/webhook_policy.h), and only allowed
// ones are tried, so a name rebound to an internal address is not reached. A refusal or a failed
// verification is a transport failure (http_status 0), retried as the delivery policy says.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "broker/adapter.h"
#include "broker/webhook_policy.h"
#include "dip/signature.h"

namespace diphub::adapters::http {

class WebhookClient {
 public:
  // `ca_file`: PEM CAs for https:// webhooks; "" = the system trust store.
  WebhookClient(boost::asio::io_context& io, std::chrono::milliseconds timeout,
                std::shared_ptr<const dip::Signer> signer, broker::WebhookPolicy policy,
                const std::string& ca_file);
  ~WebhookClient();

  // Ok, or why the TLS trust store could not be loaded (then every https:// POST fails).
  const dip::Status& status() const { return status_; }

  // `done` runs once on an I/O thread: the HTTP status, or 0 with the transport error.
  void Post(broker::DeliveryRequest request, std::function<void(broker::DeliveryResult)> done);

 private:
  class Connection;
  boost::asio::io_context& io_;
  const std::chrono::milliseconds timeout_;
  std::shared_ptr<const dip::Signer> signer_;
  const broker::WebhookPolicy policy_;
  boost::asio::ssl::context tls_;
  dip::Status status_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Connection>> connections_;  // by recipient
};

}  // namespace diphub::adapters::http
