#pragma once
// Follows the JSON-lines output files of `eddy consume` workers as they grow, handing out
// the processed records of each complete new line.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tools/processing_verdict.h"

namespace eddy::tools::demo {

class OutputTail {
 public:
  void Follow(const std::string& path) { files_.try_emplace(path); }
  // Records from lines completed since the last call (lines not from `eddy produce` data
  // are skipped).
  std::vector<ProcessedRecord> Poll();

 private:
  struct File {
    uint64_t offset = 0;
    std::string partial;  // an incomplete last line
  };
  std::map<std::string, File> files_;
};

}  // namespace eddy::tools::demo
