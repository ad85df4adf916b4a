// Names a thread as top -H, perf and /proc/<pid>/task/*/comm show it, so a profile of the hub
// tells its threads apart ("diphub-commit-0", "zmq-ingest-1", ...).
#pragma once

#include <pthread.h>

#include <string>
#include <thread>

namespace diphub::dip {

// Linux keeps 15 characters of a thread's name; a longer one is cut there.
inline void NameThread(std::thread& thread, const std::string& name) {
  pthread_setname_np(thread.native_handle(), name.substr(0, 15).c_str());
}

}  // namespace diphub::dip
