// One real nats-server with JetStream (file storage in a temp dir) on 127.0.0.1 and a port the
// server picks itself (-p -1, read back from its ports file), for the storage.engine jetstream
// tests that need a single node. Header-only so it needs no build change; the 3-node cluster
// fixture is tests/support/nats_cluster.h. Not thread-safe: drive it from the test's thread.
#pragma once

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace diphub::testing {

class JetStreamServer {
 public:
  // The path of nats-server (searched on PATH), or "" when it is not installed.
  static std::string Binary() {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/bin:/usr/sbin");
    for (std::string d; std::getline(dirs, d, ':');) {
      const std::filesystem::path p = std::filesystem::path(d) / "nats-server";
      if (!d.empty() && std::filesystem::exists(p)) return p.string();
    }
    return "";
  }

  // Starts the server and waits until it logs "Server is ready"; false (with its log in
  // `error`) otherwise.
  bool Start(std::string* error) { return Run("-1", error); }

  // Starts a killed server again on the same port, with the same store.
  bool Restart(std::string* error) {
    const std::string port = url_.substr(url_.rfind(':') + 1);
    return Run(port, error);
  }

  // SIGKILL and reap (a crash).
  // SIGSTOP / SIGCONT: the server keeps its connections but answers nothing meanwhile.
  void Pause() {
    if (process_) process_->Signal(SIGSTOP);
  }
  void Resume() {
    if (process_) process_->Signal(SIGCONT);
  }
  void Kill() {
    if (!process_) return;
    process_->Signal(SIGKILL);
    (void)process_->Wait(std::chrono::seconds(10));
  }

  const std::string& url() const { return url_; }
  // The server's storage directory (-sd): its streams' files.
  std::string store_dir() const { return dir_.File("store"); }

 private:
  bool Run(const std::string& port, std::string* error) {
    const std::string ports = dir_.File("ports" + std::to_string(++runs_));
    const std::string log = dir_.File("nats" + std::to_string(runs_) + ".log");
    std::filesystem::create_directories(ports);
    process_ = std::make_unique<ChildProcess>(
        Binary(),
        std::vector<std::string>{"-js", "-a", "127.0.0.1", "-p", port, "-sd", dir_.File("store"),
                                 "--ports_file_dir", ports},
        log);
    if (!process_->Start()) {
      *error = "cannot start nats-server";
      return false;
    }
    for (int i = 0; i < 300; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (ReadFile(log).find("Server is ready") == std::string::npos) continue;
      for (const auto& f : std::filesystem::directory_iterator(ports)) {
        std::string text = ReadFile(f.path().string());
        std::size_t at = text.find("nats://");
        if (at == std::string::npos) continue;
        url_ = text.substr(at, text.find('"', at) - at);
        return true;
      }
    }
    *error = "nats-server did not become ready: " + ReadFile(log);
    return false;
  }

  TempDir dir_;
  int runs_ = 0;
  std::unique_ptr<ChildProcess> process_;
  std::string url_;
};

}  // namespace diphub::testing
