#include "tools/demo/output_tail.h"

#include <fstream>

namespace eddy::tools::demo {

std::vector<ProcessedRecord> OutputTail::Poll() {
  std::vector<ProcessedRecord> out;
  for (auto& [path, file] : files_) {
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    in.seekg(static_cast<std::streamoff>(file.offset));
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    file.offset += chunk.size();
    file.partial += chunk;
    size_t start = 0;
    for (size_t end = file.partial.find('\n'); end != std::string::npos;
         end = file.partial.find('\n', start)) {
      ProcessedRecord record;
      if (ParseProcessedLine(file.partial.substr(start, end - start), &record)) {
        out.push_back(std::move(record));
      }
      start = end + 1;
    }
    file.partial.erase(0, start);
  }
  return out;
}

}  // namespace eddy::tools::demo
