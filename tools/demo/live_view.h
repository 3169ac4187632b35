#pragma once
// The demo's terminal view: per shard its owner, state, records/s and millis behind
// latest; lease moves and demo steps as timestamped events. On a terminal the view is
// redrawn in place; otherwise (CI, a pipe) events and a periodic status line are printed.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "eddy/v1/stream.pb.h"
#include "lease/lease.h"
#include "tools/processing_verdict.h"

namespace eddy::tools::demo {

// "shardId-000000000004" → "4", for compact text.
std::string ShortShardId(const std::string& shard_id);

class LiveView {
 public:
  LiveView(std::ostream& out, bool interactive, std::string title);

  // Something happened (a demo step, a lease move); printed at once when not interactive.
  void Event(const std::string& text);
  // Latest shards and leases: lease changes become events.
  void UpdateLeases(const std::vector<v1::Shard>& shards, const std::vector<lease::Lease>& leases);
  // Records processed since the last call (the status line carries the totals).
  void AddProcessed(const std::vector<ProcessedRecord>& records);
  void SetStatus(std::string status) { status_ = std::move(status); }
  // Shown beside the worker ("killed").
  void SetWorkerNote(const std::string& worker, std::string note) {
    worker_notes_[worker] = std::move(note);
  }
  // Redraws (interactive) or prints a status line every few seconds.
  void Render();

  double ElapsedSeconds() const;

 private:
  struct ShardStats {
    int64_t processed = 0;
    int64_t millis_behind = 0;
    std::deque<std::pair<std::chrono::steady_clock::time_point, int64_t>> recent;
  };
  double RecordsPerSecond(ShardStats& stats);
  std::string Frame();

  std::ostream& out_;
  const bool interactive_;
  const std::string title_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_status_line_ = start_;
  std::vector<v1::Shard> shards_;
  std::map<std::string, lease::Lease> leases_;
  bool leases_seen_ = false;
  std::map<std::string, ShardStats> stats_;
  std::map<std::string, int64_t> per_worker_;
  std::map<std::string, std::string> worker_notes_;
  std::deque<std::string> events_;
  std::string status_;
};

}  // namespace eddy::tools::demo
