// Webhook egress: POSTs a DIPMessageEgressArray to a recipient's URL, signed with the hub's
// identity (the four X-DIP headers, computed once per POST), over a kept-alive connection per
// recipient. One POST per recipient at a time (the scheduler guarantees it).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "broker/adapter.h"
#include "dip/signature.h"

namespace diphub::adapters::http {

class WebhookClient {
 public:
  WebhookClient(boost::asio::io_context& io, std::chrono::milliseconds timeout,
                std::shared_ptr<const dip::Signer> signer);
  ~WebhookClient();

  // `done` runs once on an I/O thread: the HTTP status, or 0 with the transport error.
  void Post(broker::DeliveryRequest request, std::function<void(broker::DeliveryResult)> done);

 private:
  class Connection;
  boost::asio::io_context& io_;
  const std::chrono::milliseconds timeout_;
  std::shared_ptr<const dip::Signer> signer_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Connection>> connections_;  // by recipient
};

}  // namespace diphub::adapters::http
