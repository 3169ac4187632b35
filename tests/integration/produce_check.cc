#include "tests/integration/produce_check.h"

#include <cstdlib>

namespace eddy::testing {

bool ParseProduced(const std::string& data, ProducedRecord* out) {
  const std::string prefix = "eddy-produce|";
  if (data.compare(0, prefix.size(), prefix) != 0) return false;
  const size_t key_end = data.find('|', prefix.size());
  if (key_end == std::string::npos) return false;
  const size_t counter_end = data.find('|', key_end + 1);
  if (counter_end == std::string::npos) return false;
  out->key = data.substr(prefix.size(), key_end - prefix.size());
  out->counter = std::atoll(data.substr(key_end + 1, counter_end - key_end - 1).c_str());
  return true;
}

void CheckOrder(const std::vector<v1::Record>& records, OrderReport* report) {
  for (const v1::Record& record : records) {
    ProducedRecord produced;
    if (!ParseProduced(record.data(), &produced)) continue;
    ++report->records;
    auto [it, fresh] = report->next_expected.emplace(produced.key, 0);
    if (produced.counter == it->second) {
      ++it->second;
    } else if (produced.counter > it->second) {
      report->gaps += produced.counter - it->second;
      it->second = produced.counter + 1;
    } else {
      ++report->duplicates;
      ++report->out_of_order;
    }
  }
}

}  // namespace eddy::testing
