#include "broker/shard_tail.h"

#include <algorithm>

namespace eddy::broker {

ShardTail::ShardTail(uint64_t floor, int64_t max_bytes) : max_bytes_(max_bytes), floor_(floor) {}

void ShardTail::Append(std::vector<SharedRecord> records) {
  absl::MutexLock lock(&mu_);
  for (SharedRecord& record : records) {
    bytes_ += RecordBytes(*record);
    records_.push_back(std::move(record));
  }
  while (!records_.empty() && bytes_ > max_bytes_) {
    bytes_ -= RecordBytes(*records_.front());
    floor_ = records_.front()->counter + 1;
    records_.pop_front();
  }
}

uint64_t ShardTail::floor() const {
  absl::MutexLock lock(&mu_);
  return floor_;
}

ShardTail::ReadResult ShardTail::Read(uint64_t from, int max_records, int64_t max_bytes) const {
  ReadResult result;
  std::vector<SharedRecord>& out = result.records;
  absl::MutexLock lock(&mu_);
  if (from < floor_) return result;
  result.covered = true;
  auto it = std::lower_bound(records_.begin(), records_.end(), from,
                             [](const SharedRecord& r, uint64_t c) { return r->counter < c; });
  int64_t bytes = 0;
  for (; it != records_.end() && static_cast<int>(out.size()) < max_records; ++it) {
    const int64_t size = RecordBytes(**it);
    if (!out.empty() && bytes + size > max_bytes) break;
    bytes += size;
    out.push_back(*it);
  }
  return result;
}

}  // namespace eddy::broker
