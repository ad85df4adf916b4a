#include "adapters/zmq/config.h"

#include <zmq.h>

#include <fstream>
#include <sstream>

#include "broker/config.h"

namespace diphub::adapters::zmq {
namespace {

dip::Status CheckKey(const std::string& key, const std::string& where) {
  std::uint8_t raw[32];
  if (key.size() != 40 || zmq_z85_decode(raw, key.c_str()) == nullptr) {
    return dip::Status::Config(where + ": expected a Z85 CURVE key of 40 characters");
  }
  return dip::Status::Ok();
}

}  // namespace

dip::Result<ZmqAdapterConfig> ParseZmqAdapterConfig(const YAML::Node& node) {
  ZmqAdapterConfig c;
  if (!node || !node.IsMap()) {
    return dip::Status::Config(
        "zmq: a section with at least secret_key (or security: plain) is required");
  }
  if (auto s = broker::CheckKeys(node,
                                 {"listen", "security", "secret_key", "secret_key_file", "credit",
                                  "credit_bytes", "ingest_threads", "io_threads",
                                  "delivery_timeout_ms", "overload_retry_ms", "max_message_bytes"},
                                 "zmq");
      !s.ok()) {
    return s;
  }
  try {
    if (node["listen"]) c.listen = node["listen"].as<std::string>();
    if (node["security"]) {
      const std::string security = node["security"].as<std::string>();
      if (security == "plain") {
        c.security = ZmqSecurity::kPlain;
      } else if (security != "curve") {
        return dip::Status::Config("zmq.security: \"curve\" or \"plain\", got \"" + security +
                                   "\"");
      }
    }
    if (node["secret_key"]) c.secret_key = node["secret_key"].as<std::string>();
    if (node["secret_key_file"]) {
      const std::string path = node["secret_key_file"].as<std::string>();
      std::ifstream in(path);
      if (!in) return dip::Status::Config("zmq.secret_key_file: cannot read \"" + path + "\"");
      std::getline(in, c.secret_key);
      while (!c.secret_key.empty() && std::isspace(static_cast<unsigned char>(c.secret_key.back())))
        c.secret_key.pop_back();
    }
    if (node["credit"]) c.credit = node["credit"].as<std::uint32_t>();
    if (node["credit_bytes"]) c.credit_bytes = node["credit_bytes"].as<std::uint64_t>();
    if (node["ingest_threads"]) c.ingest_threads = node["ingest_threads"].as<std::size_t>();
    if (node["io_threads"]) c.io_threads = node["io_threads"].as<std::size_t>();
    if (node["delivery_timeout_ms"]) {
      c.delivery_timeout = std::chrono::milliseconds(node["delivery_timeout_ms"].as<long long>());
    }
    if (node["overload_retry_ms"]) {
      c.overload_retry = std::chrono::milliseconds(node["overload_retry_ms"].as<long long>());
    }
    if (node["max_message_bytes"])
      c.max_message_bytes = node["max_message_bytes"].as<std::size_t>();
  } catch (const YAML::Exception& e) {
    return dip::Status::Config(std::string("zmq: a value has the wrong type (") + e.what() + ")");
  }
  if (c.secret_key.empty() && c.security == ZmqSecurity::kCurve) {
    return dip::Status::Config(
        "zmq.secret_key: required (the hub's CURVE secret key; `diphub zmq-keygen` makes a pair)");
  }
  if (!c.secret_key.empty()) {
    if (auto s = CheckKey(c.secret_key, "zmq.secret_key"); !s.ok()) return s;
  }
  if (c.listen.empty())
    return dip::Status::Config("zmq.listen: required, e.g. tcp://127.0.0.1:5560");
  if (c.credit < 1 || c.credit > 1000000) return dip::Status::Config("zmq.credit: 1 to 1000000");
  if (c.credit_bytes < (64u << 10) || c.credit_bytes > (1u << 30)) {
    return dip::Status::Config("zmq.credit_bytes: 65536 to 1073741824");
  }
  if (c.ingest_threads > 64) return dip::Status::Config("zmq.ingest_threads: 0 to 64");
  if (c.io_threads > 64) return dip::Status::Config("zmq.io_threads: 0 to 64");
  if (c.delivery_timeout.count() <= 0 || c.overload_retry.count() <= 0) {
    return dip::Status::Config("zmq: timeouts must be positive");
  }
  if (c.max_message_bytes < 1024)
    return dip::Status::Config("zmq.max_message_bytes: at least 1024");
  return c;
}

}  // namespace diphub::adapters::zmq
