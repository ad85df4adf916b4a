// Typed configuration of the http adapter (the "http:" section), validated once at start-up.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "dip/status.h"

namespace diphub::adapters::http {

// TLS on the DIP API listener. Off while certificate_file is empty.
struct TlsConfig {
  std::string certificate_file;  // PEM chain the server presents
  std::string private_key_file;  // its PEM private key
  std::string client_ca_file;    // PEM CAs; set = clients must present a certificate they signed
};

struct HttpAdapterConfig {
  std::string host = "127.0.0.1";                 // from listen. Default: 127.0.0.1
  std::uint16_t port = 8080;                      // from listen; 0 picks a free port. Default: 8080
  std::size_t threads = 2;                        // I/O threads. Default: 2
  std::size_t max_body_bytes = 16u << 20;         // larger sends get 413. Default: 16 MiB
  std::size_t max_connections = 10000;            // more are closed at once. Default: 10000
  std::chrono::milliseconds idle_timeout{60000};  // keep-alive idle. Default: 60 s
  std::chrono::milliseconds webhook_timeout{10000};  // per webhook POST. Default: 10 s
  TlsConfig tls;                                     // Default: off (plain HTTP)
  // Not read from YAML: the hub's DIP ID, the senderID of the StandardResponse the server itself
  // gives to a request it cannot parse (400, 413, 431). Set by the adapter. Default: ""
  std::string dip_id;
};

// Reads `node` (may be undefined: all defaults).
dip::Result<HttpAdapterConfig> ParseHttpAdapterConfig(const YAML::Node& node);

// "127.0.0.1:8080" or "[::1]:8080" into host and port.
dip::Status ParseListen(const std::string& listen, std::string* host, std::uint16_t* port);

}  // namespace diphub::adapters::http
