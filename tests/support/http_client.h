// A blocking HTTP/1.1 client for tests (Boost.Beast): one request per call, fresh connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace diphub::testing {

struct HttpResult {
  int status = 0;  // 0 when no answer (error says why)
  std::string body;
  std::map<std::string, std::string> headers;
  std::string error;
};

HttpResult HttpRequest(const std::string& host, std::uint16_t port, const std::string& method,
                       const std::string& target, const std::string& body = "",
                       const std::map<std::string, std::string>& headers = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace diphub::testing
