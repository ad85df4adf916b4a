#include "tests/support/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace diphub::testing {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

HttpResult HttpRequest(const std::string& host, std::uint16_t port, const std::string& method,
                       const std::string& target, const std::string& body,
                       const std::map<std::string, std::string>& headers,
                       std::chrono::milliseconds timeout) {
  HttpResult out;
  net::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  stream.expires_after(timeout);
  net::ip::tcp::endpoint ep(net::ip::make_address(host), port);
  stream.async_connect(ep, [&](beast::error_code e) { ec = e; });
  io.run();
  if (ec) {
    out.error = "connect: " + ec.message();
    return out;
  }
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, host + ":" + std::to_string(port));
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  io.restart();
  stream.expires_after(timeout);
  // A server may answer early (413) and stop reading: read its answer even if the write failed.
  http::async_write(stream, req, [&](beast::error_code, std::size_t) {
    http::async_read(stream, buffer, res, [&](beast::error_code e2, std::size_t) { ec = e2; });
  });
  io.run();
  if (ec) {
    out.error = "exchange: " + ec.message();
    return out;
  }
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  for (const auto& f : res) out.headers[std::string(f.name_string())] = std::string(f.value());
  return out;
}

}  // namespace diphub::testing
