#pragma once
// CPU time a process has used (user + system), from /proc/<pid>/stat.

namespace eddy::bench {

// Seconds, or 0 if the process cannot be read.
double CpuSeconds(int pid);

}  // namespace eddy::bench
