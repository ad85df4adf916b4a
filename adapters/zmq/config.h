// Typed configuration of the zmq adapter (the "zmq:" section), validated once at start-up.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "dip/status.h"

namespace diphub::adapters::zmq {

// How a connection proves whose it is (docs/security.md).
enum class ZmqSecurity {
  kCurve,  // CURVE: encrypted and authenticated, by the participant's zmq_public_key
  kPlain,  // ZMQ PLAIN: the participant's DIP ID and API key; nothing encrypted or signed
};

struct ZmqAdapterConfig {
  std::string listen = "tcp://127.0.0.1:5560";  // ZeroMQ endpoint. Default: tcp://127.0.0.1:5560
  // "curve", or "plain" only on a network nobody else can read or write (the API key and every
  // message cross it in clear, like plain HTTP with X-API-Key). Default: curve
  ZmqSecurity security = ZmqSecurity::kCurve;
  std::string secret_key;  // the hub's CURVE secret key, Z85 (40 characters). Required for curve
  std::uint32_t credit = 1000;  // sends a connection may have unacknowledged. Default: 1000
  // Bytes of SEND bodies a connection may have unacknowledged (a single larger send is admitted
  // alone). Bounds the hub's memory per connection and the queue ahead of the commit (the
  // latency of a send). Default: 2 MiB
  std::uint64_t credit_bytes = 2u << 20;
  // Threads that parse, check and route SENDs (each connection's on one of them, in order);
  // 0 for one per core. Default: 0
  std::size_t ingest_threads = 0;
  // libzmq's I/O threads (ZMQ_IO_THREADS): they read, write and encrypt (CURVE) the
  // connections' bytes, each connection on one of them; 0 for one per core, so the cores can
  // encrypt at once (it does not measurably change the CPU per message, docs/performance.md).
  // Default: 0
  std::size_t io_threads = 0;
  std::chrono::milliseconds delivery_timeout{10000};  // ack wait / offline park. Default: 10 s
  std::chrono::milliseconds overload_retry{20};       // first re-submit after a 429. Default: 20 ms
  std::size_t max_message_bytes = 16u << 20;  // larger frames drop the peer. Default: 16 MiB
};

// Reads `node` (may be undefined, but with security curve, the default, secret_key or
// secret_key_file is required).
dip::Result<ZmqAdapterConfig> ParseZmqAdapterConfig(const YAML::Node& node);

}  // namespace diphub::adapters::zmq
