// Runs a real program as a child process for integration tests: start with arguments, send
// signals (SIGKILL to simulate a crash), wait for exit. stdout/stderr go to a log file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace diphub::testing {

class ChildProcess {
 public:
  ChildProcess(std::string program, std::vector<std::string> args, std::string log_file);
  ~ChildProcess();  // SIGKILLs if still running

  // With `die_with_parent`, the child gets SIGKILL when the thread that started it exits (the
  // test runner killed by a timeout leaves no server behind).
  bool Start(bool die_with_parent = false);
  void Signal(int sig);
  // The exit code (or 128+signal), or nullopt when still running after `timeout`.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& log_file() const { return log_file_; }

 private:
  std::string program_;
  std::vector<std::string> args_;
  std::string log_file_;
  pid_t pid_ = -1;
};

// Polls until `path` exists and is non-empty, then returns its contents; "" on timeout.
std::string WaitForFile(const std::string& path, std::chrono::milliseconds timeout);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text);

}  // namespace diphub::testing
