#include "broker/catch_up_cache.h"

namespace eddy::broker {

std::vector<SharedRecord> CatchUpCache::Get(uint64_t from, uint64_t to, int max_records,
                                            int64_t max_bytes, int64_t now_millis) const {
  std::vector<SharedRecord> out;
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(from);
  if (it == entries_.end() || now_millis - it->second.stored_millis > kMaxAgeMillis) return out;
  int64_t bytes = 0;
  for (const SharedRecord& record : it->second.records) {
    if (record->counter > to || static_cast<int>(out.size()) >= max_records) break;
    const int64_t size = RecordBytes(*record);
    if (!out.empty() && bytes + size > max_bytes) break;
    bytes += size;
    out.push_back(record);
  }
  return out;
}

void CatchUpCache::Put(std::vector<SharedRecord> records, int64_t now_millis) {
  if (records.empty()) return;
  const uint64_t from = records.front()->counter;
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = entries_.insert_or_assign(from, Entry{std::move(records), now_millis});
  if (inserted) order_.push_back(from);
  while (order_.size() > kMaxEntries) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
}

}  // namespace eddy::broker
