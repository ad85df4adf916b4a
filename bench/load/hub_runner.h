// Starts the diphub binary under test as a child process on a configuration diphub-load wrote,
// waits for its ready file, and stops it with SIGTERM. Reports the child's peak resident memory.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "dip/status.h"

namespace diphub::load {

class HubRunner {
 public:
  // `work_dir` holds the configuration, the log and the ready file; it must exist.
  HubRunner(std::string binary, std::string work_dir);
  ~HubRunner();  // SIGKILLs a hub still running

  // Writes `config_yaml`, starts the hub and waits up to `timeout` for it to be ready.
  dip::Status Start(const std::string& config_yaml, std::chrono::seconds timeout);
  // SIGTERM, then waits for the exit; returns the exit status (128 + signal when killed).
  int Stop();

  std::uint16_t http_port() const { return http_port_; }
  // The zmq adapter's endpoint from the ready file ("" when it has none).
  const std::string& zmq_endpoint() const { return zmq_endpoint_; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_; }
  // VmHWM of the running hub, in bytes (0 when not running).
  std::uint64_t PeakResidentBytes() const;
  // The hub's Prometheus text (GET /metrics on its metrics endpoint); "" when it cannot be read.
  std::string FetchMetrics() const;

 private:
  std::string binary_, work_dir_, config_, log_, ready_;
  pid_t pid_ = -1;
  std::uint16_t http_port_ = 0;
  std::string zmq_endpoint_;
  std::uint16_t metrics_port_ = 0;
};

// Bytes used on disk by the files under `dir` (allocated blocks, as du counts them).
std::uint64_t DiskUsage(const std::string& dir);

}  // namespace diphub::load
