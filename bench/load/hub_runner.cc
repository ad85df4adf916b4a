#include "bench/load/hub_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

extern char** environ;

namespace diphub::load {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

HubRunner::HubRunner(std::string binary, std::string work_dir)
    : binary_(std::move(binary)),
      work_dir_(std::move(work_dir)),
      config_(work_dir_ + "/diphub.yaml"),
      log_(work_dir_ + "/diphub.log"),
      ready_(work_dir_ + "/ready") {}

HubRunner::~HubRunner() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

dip::Status HubRunner::Start(const std::string& config_yaml, std::chrono::seconds timeout) {
  std::ofstream(config_) << config_yaml;
  std::filesystem::remove(ready_);
  std::vector<std::string> args = {binary_,      "--config",      config_,       "--ready-file",
                                   ready_,       "--http-listen", "127.0.0.1:0", "--metrics-listen",
                                   "127.0.0.1:0"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawn(&pid_, binary_.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    return dip::Status::Config("cannot start " + binary_ + ": " + std::strerror(rc));
  }

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::string ready = Slurp(ready_); !ready.empty()) {
      std::istringstream lines(ready);
      for (std::string line; std::getline(lines, line);) {
        if (line.rfind("http=", 0) == 0) {
          http_port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
        }
        if (line.rfind("zmq=", 0) == 0) zmq_endpoint_ = line.substr(4);
        if (line.rfind("metrics=", 0) == 0) {
          metrics_port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
        }
      }
      if (http_port_ != 0) return dip::Status::Ok();
      return dip::Status::Config("the hub's ready file names no http endpoint: " + ready);
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return dip::Status::Config("the hub exited during start-up; its log (" + log_ + "):\n" +
                                 Slurp(log_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return dip::Status::Config("the hub was not ready within " + std::to_string(timeout.count()) +
                             " s; its log: " + log_);
}

int HubRunner::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::uint64_t HubRunner::PeakResidentBytes() const {
  if (pid_ <= 0) return 0;
  std::istringstream status(Slurp("/proc/" + std::to_string(pid_) + "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // kB
  }
  return 0;
}

std::string HubRunner::FetchMetrics() const {
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  if (pid_ <= 0 || metrics_port_ == 0) return "";
  try {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::address_v4::loopback(), metrics_port_});
    http::request<http::empty_body> req{http::verb::get, "/metrics", 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(socket, req);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return res.result_int() == 200 ? res.body() : "";
  } catch (const std::exception&) {
    return "";
  }
}

std::uint64_t DiskUsage(const std::string& dir) {
  std::uint64_t bytes = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (it->is_regular_file(ec) && ::stat(it->path().c_str(), &st) == 0) {
      bytes += static_cast<std::uint64_t>(st.st_blocks) * 512;
    }
  }
  return bytes;
}

}  // namespace diphub::load
