// An HTTP/1.1 server on Boost.Beast: keep-alive sessions on strands over a shared io_context,
// over TLS (Boost.Asio SSL, OpenSSL) when the configuration names a certificate.
// A handler may answer later and from any thread (the send path answers after group commit).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <string>

#include "adapters/http/config.h"
#include "dip/status.h"

namespace diphub::adapters::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// Answers one request. Send() must be called exactly once; safe from any thread.
class Responder {
 public:
  virtual ~Responder() = default;
  virtual void Send(Response response) = 0;
};

using Handler = std::function<void(Request&& request, std::shared_ptr<Responder> responder)>;

class Server {
 public:
  Server(boost::asio::io_context& io, const HttpAdapterConfig& config, Handler handler);
  ~Server();

  dip::Status Listen();
  std::uint16_t port() const { return port_; }
  // Closes the listening socket; open sessions finish their current exchange.
  void StopAccepting();

 private:
  template <class Stream>
  class Session;
  void Accept();

  boost::asio::io_context& io_;
  const HttpAdapterConfig config_;
  Handler handler_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::unique_ptr<boost::asio::ssl::context> tls_;  // set when http.tls is configured
  std::shared_ptr<std::atomic<std::size_t>> open_sessions_;
};

}  // namespace diphub::adapters::http
