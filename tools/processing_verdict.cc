#include "tools/processing_verdict.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace eddy::tools {
namespace {

constexpr size_t kMaxExamples = 5;

std::string ReasonFor(const ProcessedRecord& first, const ProcessedRecord& again,
                      const std::set<std::string>& killed) {
  if (first.sequence_number != again.sequence_number ||
      first.sub_sequence_number != again.sub_sequence_number) {
    return "written twice by the producer (a retried put)";
  }
  if (first.worker_id == again.worker_id) return "delivered again to the same worker";
  if (killed.count(first.worker_id) != 0) {
    return "replayed after its worker was killed before checkpointing it";
  }
  return "replayed after the lease moved to another worker";
}

}  // namespace

bool ParseProcessedLine(const std::string& line, ProcessedRecord* out) {
  nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
  if (!json.is_object() || !json.contains("Data") || !json["Data"].is_string()) return false;
  std::string data;
  if (!absl::Base64Unescape(json["Data"].get<std::string>(), &data)) return false;
  std::vector<absl::string_view> parts = absl::StrSplit(data, absl::MaxSplits('|', 3));
  if (parts.size() < 3 || parts[0] != "eddy-produce") return false;
  ProcessedRecord record;
  record.partition_key = std::string(parts[1]);
  if (!absl::SimpleAtoi(parts[2], &record.counter)) return false;
  record.shard_id = json.value("ShardId", "");
  record.sequence_number = json.value("SequenceNumber", "");
  record.sub_sequence_number = json.value("SubSequenceNumber", uint64_t{0});
  record.worker_id = json.value("WorkerId", "");
  record.processed_at_micros = json.value("ProcessedAtMicros", int64_t{0});
  record.millis_behind_latest = json.value("MillisBehindLatest", int64_t{0});
  *out = std::move(record);
  return true;
}

std::map<std::string, int64_t> ProducedPerKey(int64_t count, int keys,
                                              const std::string& key_prefix) {
  std::map<std::string, int64_t> out;
  for (int k = 0; k < keys; ++k) {
    out[absl::StrCat(key_prefix, k)] = count / keys + (k < count % keys ? 1 : 0);
  }
  return out;
}

Verdict Judge(std::vector<ProcessedRecord> events, const std::map<std::string, int64_t>& produced,
              const std::set<std::string>& killed_workers) {
  Verdict verdict;
  for (const auto& [key, count] : produced) verdict.produced += count;
  verdict.processed = static_cast<int64_t>(events.size());
  std::stable_sort(events.begin(), events.end(),
                   [](const ProcessedRecord& a, const ProcessedRecord& b) {
                     return a.processed_at_micros < b.processed_at_micros;
                   });
  auto example = [&](std::string text) {
    if (verdict.examples.size() < kMaxExamples) verdict.examples.push_back(std::move(text));
  };
  // Per key: the first processing of each counter, and one past the newest counter.
  std::map<std::string, std::map<int64_t, const ProcessedRecord*>> first_seen;
  std::map<std::string, int64_t> next_due;
  for (const ProcessedRecord& event : events) {
    auto produced_it = produced.find(event.partition_key);
    if (produced_it == produced.end() || event.counter < 0 ||
        event.counter >= produced_it->second) {
      ++verdict.unexpected;
      example(absl::StrCat("unexpected record ", event.partition_key, "#", event.counter));
      continue;
    }
    auto& seen = first_seen[event.partition_key];
    auto [it, first] = seen.emplace(event.counter, &event);
    if (!first) {
      ++verdict.duplicates;
      ++verdict.duplicate_reasons[ReasonFor(*it->second, event, killed_workers)];
      continue;
    }
    // A first processing that comes after a later counter's is out of order (a gap alone
    // is not: the record is either processed later — a violation then — or missing).
    int64_t& after_newest = next_due[event.partition_key];
    if (event.counter < after_newest) {
      ++verdict.order_violations;
      example(absl::StrCat("key ", event.partition_key, ": record #", event.counter,
                           " processed (shard ", event.shard_id, ", worker ", event.worker_id,
                           ") after #", after_newest - 1));
    }
    after_newest = std::max(after_newest, event.counter + 1);
  }
  for (const auto& [key, count] : produced) {
    const auto& seen = first_seen[key];
    verdict.distinct += static_cast<int64_t>(seen.size());
    for (int64_t c = 0; c < count; ++c) {
      if (seen.count(c) == 0) {
        ++verdict.missing;
        example(absl::StrCat("key ", key, ": record #", c, " never processed"));
      }
    }
  }
  return verdict;
}

}  // namespace eddy::tools
