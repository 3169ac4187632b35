#pragma once
// Markdown tables from eddy-bench results: per workload and metric, each system's median
// and min–max over its runs, and each Eddy configuration's ratio to the best peer of the
// same run set. Systems whose label starts with "eddy" are Eddy; the rest are peers.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace eddy::bench {

std::string MarkdownReport(const std::vector<nlohmann::json>& results);

}  // namespace eddy::bench
