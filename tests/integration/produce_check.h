#pragma once
// Parses records written by `eddy produce` ("eddy-produce|<key>|<counter>|…") and checks
// each key's counters: complete and in order.

#include <map>
#include <string>
#include <vector>

#include "eddy/v1/stream.pb.h"

namespace eddy::testing {

struct ProducedRecord {
  std::string key;
  long long counter = -1;
};

// False if `data` is not an `eddy produce` record.
bool ParseProduced(const std::string& data, ProducedRecord* out);

struct OrderReport {
  long long records = 0;
  long long out_of_order = 0;  // a counter not above the previous one of its key
  long long gaps = 0;          // counters skipped
  long long duplicates = 0;    // a counter seen again
  std::map<std::string, long long> next_expected;  // per key: last counter + 1
};

// Feeds records in the order a consumer sees them (shard by shard).
void CheckOrder(const std::vector<v1::Record>& records, OrderReport* report);

}  // namespace eddy::testing
