// CPU time of a process, to report the CPU each message costs: a figure that other load on the
// machine does not distort the way it distorts throughput.
#pragma once

#include <sys/types.h>

namespace diphub::load {

// User + system CPU seconds of every thread of process `pid` so far (/proc/<pid>/stat, in clock
// ticks), or a negative number when it cannot be read.
double ProcessCpuSeconds(pid_t pid);
// User + system CPU seconds of this process so far (getrusage, microseconds).
double SelfCpuSeconds();

}  // namespace diphub::load
