// Runs the real diphub binary for integration tests: a config in a temp dir, the DIP API and
// metrics on 127.0.0.1 port 0, a real RocksDB in the temp dir, and a real webhook receiver.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/http/sink_delivery.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace diphub::adapters::http {
class WebhookSink;
}  // namespace diphub::adapters::http

namespace diphub::testing {

// A webhook receiver that records what it is sent and answers a settable status.
class RecordingSink {
 public:
  explicit RecordingSink(std::uint16_t port = 0);
  ~RecordingSink();
  std::uint16_t port() const;
  std::string Url() const;
  void set_status(int status);
  // Waits until at least `n` deliveries arrived; returns all received so far.
  std::vector<adapters::http::SinkDelivery> WaitFor(std::size_t n,
                                                    std::chrono::milliseconds timeout);
  std::size_t count();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<adapters::http::SinkDelivery> received_;
  int status_ = 201;
  std::unique_ptr<adapters::http::WebhookSink> sink_;
};

// The S1.senderUniqueReference of every message in `deliveries` (webhook POST bodies), in
// delivery order, repeats kept.
std::vector<std::string> RefsIn(const std::vector<adapters::http::SinkDelivery>& deliveries);

class HubProcess {
 public:
  // `extra_yaml` is appended to a base config (fsync durability, fast retries, webhooks allowed
  // to reach loopback (webhooks.allow_internal), the demo participants with the MDR's webhook at
  // `mdr_webhook` unless empty).
  HubProcess(const TempDir& dir, std::string mdr_webhook, std::string extra_yaml = "");
  ~HubProcess();

  // Replaces `from` (which must occur) in the generated configuration; before Start().
  bool EditConfig(const std::string& from, const std::string& to);
  const std::string& config_path() const { return config_; }

  // Starts diphub and waits for its ready file (a standby writes it once it leads); false with
  // the log in `error` on failure.
  bool Start(std::string* error, std::chrono::seconds ready_timeout = std::chrono::seconds(20));
  void Kill();      // SIGKILL: a crash
  int Terminate();  // SIGTERM, then the exit code
  std::uint16_t http_port() const { return http_port_; }
  // The hub's process ID while it runs (for /proc checks), else -1.
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  std::uint16_t metrics_port() const { return metrics_port_; }
  // The zmq adapter's bound endpoint ("tcp://127.0.0.1:port"), when it runs.
  const std::string& zmq_endpoint() const { return zmq_endpoint_; }
  std::string Log() const { return ReadFile(log_); }

  // Polls /metrics until it has a line starting with `line_prefix`; false on timeout.
  bool WaitForMetric(const std::string& line_prefix, std::chrono::milliseconds timeout);

  HttpResult Send(const std::string& channel, const std::string& body,
                  const std::string& api_key = "demo-sds-key");
  HttpResult Call(const std::string& method, const std::string& target,
                  const std::string& body = "",
                  const std::map<std::string, std::string>& headers = {});

 private:
  const TempDir& dir_;
  std::string config_, log_, ready_;
  std::unique_ptr<ChildProcess> process_;
  std::uint16_t http_port_ = 0, metrics_port_ = 0;
  std::string zmq_endpoint_;
};

// Writes `bytes` as they are to 127.0.0.1:`port` over a fresh TCP connection (for requests an
// HTTP client library would not send: repeated headers, absolute-form targets, broken request
// lines) and reads one response. status 0 with `error` when none came within `timeout`.
HttpResult RawHttp(std::uint16_t port, const std::string& bytes,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A schema-valid IF-061 [MDRStart] from the demo SDS to the demo MDR, with `reference` as its
// senderUniqueReference.
std::string MdrStart(const std::string& reference);

// `s` with the first `from` replaced by `to`; a test failure when `from` is not in `s`.
std::string Replace(std::string s, const std::string& from, const std::string& to);

// The demo participants of the base configuration and their credentials, for tests that act as
// them; `using namespace demo;` inside the test's own namespace brings them in.
namespace demo {
using Headers = std::map<std::string, std::string>;
inline constexpr const char* kSds = "1100000001";
inline constexpr const char* kMdr = "1200000001";
inline const Headers kAdmin{{"Authorization", "Bearer test-admin"}};
inline const Headers kSdsKey{{"X-API-Key", "demo-sds-key"}};
inline const Headers kMdrKey{{"X-API-Key", "demo-mdr-key"}};
inline const Headers kSupKey{{"X-API-Key", "demo-sup-key"}};
// A replay request body with every filter null: everything the caller may see.
inline constexpr const char* kAllNull =
    R"({"datetimeFrom":null,"datetimeTo":null,"eventCode":null,"MPAN":null,"version":null})";
// A senderUniqueReference of the demo SDS for IF-061, ending in `tag`.
inline std::string Ref(const std::string& tag) { return "S-IF-061-1100000001-SDS-20261122-" + tag; }
}  // namespace demo

}  // namespace diphub::testing
