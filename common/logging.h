#pragma once
// Named spdlog loggers, one per module ("eddy.broker", "eddy.lease", …), all writing to
// stderr so that stdout stays free for a program's output.

#include <memory>
#include <string>

#include "spdlog/spdlog.h"

namespace eddy::common {

// The logger called `name`, created on first use. Thread-safe.
std::shared_ptr<spdlog::logger> Logger(const std::string& name);

// Sets the level of every Eddy logger, now and later ("trace" … "off"). False if unknown.
bool SetLogLevel(const std::string& level);

}  // namespace eddy::common
