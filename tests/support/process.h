// Runs a real program as a child process for integration tests: start with arguments, send
// signals (SIGKILL to simulate a crash), wait for exit. stdout/stderr go to a log file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
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

// A resident-memory bound of a test, in bytes, for the diphub under test: `bytes` as given, set
// for the uninstrumented hub. In the ASan tree (scripts/sanitize), whose test binaries start an
// instrumented hub, the bound also allows for ASan's shadow memory (an eighth more) and its
// quarantine of freed memory (up to 256 MiB), so that a test checks there what it is for (a
// runaway, nothing lost) rather than the instrumentation's own memory.
std::size_t MemoryBound(std::size_t bytes);

}  // namespace diphub::testing
