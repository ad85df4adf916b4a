#include "adapters/http/config.h"

#include <charconv>

#include "broker/config.h"

namespace diphub::adapters::http {

dip::Status ParseListen(const std::string& listen, std::string* host, std::uint16_t* port) {
  std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) {
    return dip::Status::Config("listen \"" + listen + "\": expected host:port");
  }
  std::string h = listen.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned p = 0;
  const char* first = listen.data() + colon + 1;
  const char* last = listen.data() + listen.size();
  auto [ptr, ec] = std::from_chars(first, last, p);
  if (ec != std::errc() || ptr != last || p > 65535 || h.empty()) {
    return dip::Status::Config("listen \"" + listen + "\": expected host:port with port 0-65535");
  }
  *host = h;
  *port = static_cast<std::uint16_t>(p);
  return dip::Status::Ok();
}

dip::Result<HttpAdapterConfig> ParseHttpAdapterConfig(const YAML::Node& node) {
  HttpAdapterConfig c;
  if (!node || node.IsNull()) return c;
  if (auto s = broker::CheckKeys(node,
                                 {"listen", "threads", "max_body_bytes", "max_connections",
                                  "idle_timeout_ms", "webhook_timeout_ms", "tls"},
                                 "http");
      !s.ok()) {
    return s;
  }
  try {
    if (node["listen"]) {
      if (auto s = ParseListen(node["listen"].as<std::string>(), &c.host, &c.port); !s.ok()) {
        return dip::Status::Config("http." + s.help());
      }
    }
    if (node["threads"]) c.threads = node["threads"].as<std::size_t>();
    if (node["max_body_bytes"]) c.max_body_bytes = node["max_body_bytes"].as<std::size_t>();
    if (node["max_connections"]) c.max_connections = node["max_connections"].as<std::size_t>();
    if (node["idle_timeout_ms"]) {
      c.idle_timeout = std::chrono::milliseconds(node["idle_timeout_ms"].as<long long>());
    }
    if (node["webhook_timeout_ms"]) {
      c.webhook_timeout = std::chrono::milliseconds(node["webhook_timeout_ms"].as<long long>());
    }
    if (const YAML::Node tls = node["tls"]; tls && !tls.IsNull()) {
      if (!tls.IsMap()) return dip::Status::Config("http.tls: expected a mapping");
      if (auto s = broker::CheckKeys(
              tls, {"certificate_file", "private_key_file", "client_ca_file"}, "http.tls");
          !s.ok()) {
        return s;
      }
      if (tls["certificate_file"])
        c.tls.certificate_file = tls["certificate_file"].as<std::string>();
      if (tls["private_key_file"])
        c.tls.private_key_file = tls["private_key_file"].as<std::string>();
      if (tls["client_ca_file"]) c.tls.client_ca_file = tls["client_ca_file"].as<std::string>();
      if (c.tls.certificate_file.empty() || c.tls.private_key_file.empty()) {
        return dip::Status::Config(
            "http.tls: certificate_file and private_key_file are both required");
      }
    }
  } catch (const YAML::Exception& e) {
    return dip::Status::Config(std::string("http: a value has the wrong type (") + e.what() + ")");
  }
  if (c.threads < 1 || c.threads > 64) return dip::Status::Config("http.threads: must be 1 to 64");
  if (c.max_body_bytes < 1024) return dip::Status::Config("http.max_body_bytes: at least 1024");
  if (c.idle_timeout.count() <= 0 || c.webhook_timeout.count() <= 0) {
    return dip::Status::Config("http: timeouts must be positive");
  }
  return c;
}

}  // namespace diphub::adapters::http
