#include "tests/chaos/oracle.h"

#include <algorithm>
#include <functional>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "checkpoint/extended_sequence_number.h"
#include "tools/processing_verdict.h"

namespace eddy::chaos {
namespace {

constexpr size_t kMaxExamplesPerCheck = 5;

class Violations {
 public:
  explicit Violations(std::vector<std::string>* out) : out_(out) {}
  // Adds `text` under `check`, at most kMaxExamplesPerCheck of each (then a count).
  void Add(const std::string& check, const std::string& text) {
    if (counts_[check]++ < kMaxExamplesPerCheck) out_->push_back(check + ": " + text);
  }
  void Summarize() {
    for (const auto& [check, count] : counts_) {
      if (count > kMaxExamplesPerCheck) {
        out_->push_back(absl::StrCat(check, ": ", count - kMaxExamplesPerCheck, " more"));
      }
    }
  }

 private:
  std::vector<std::string>* out_;
  std::map<std::string, size_t> counts_;
};

int64_t FrozenWithin(const std::vector<Interval>& frozen, int64_t from, int64_t to) {
  int64_t total = 0;
  for (const Interval& interval : frozen) {
    const int64_t start = std::max(from, interval.from_micros);
    const int64_t end = std::min(to, interval.to_micros);
    if (end > start) total += end - start;
  }
  return total;
}

void CheckCompleteAndInOrder(const RunRecord& run, Judgement* judgement, Violations* v) {
  std::vector<tools::ProcessedRecord> events;
  for (const ProcessedEvent& e : run.processed) {
    if (run.forbidden_keys.count(e.key) != 0) {
      v->Add("out of scope", absl::StrCat(e.key, "#", e.counter, " (written before the start) ",
                                          "processed by ", e.worker_id, " on ", e.shard_id));
      continue;
    }
    if (run.ignored_keys.count(e.key) != 0) continue;
    tools::ProcessedRecord record;
    record.partition_key = e.key;
    record.counter = e.counter;
    record.shard_id = e.shard_id;
    record.worker_id = e.worker_id;
    record.processed_at_micros = e.processed_at_micros;
    events.push_back(std::move(record));
  }
  const tools::Verdict verdict = tools::Judge(events, run.produced, run.killed);
  judgement->produced = verdict.produced;
  judgement->processed = verdict.processed;
  judgement->duplicates = verdict.duplicates;
  if (verdict.missing > 0) {
    v->Add("lost", absl::StrCat(verdict.missing, " of ", verdict.produced,
                                " acknowledged records never processed"));
  }
  if (verdict.order_violations > 0) {
    v->Add("order", absl::StrCat(verdict.order_violations, " records processed out of key order"));
  }
  if (verdict.unexpected > 0) {
    v->Add("unexpected", absl::StrCat(verdict.unexpected, " records never produced"));
  }
  for (const std::string& example : verdict.examples) v->Add("example", example);
}

void CheckChildrenAfterParents(const RunRecord& run, Violations* v) {
  // First processing of each record, and per shard: the latest first processing, and the
  // earliest processing of all.
  std::map<std::pair<std::string, int64_t>, const ProcessedEvent*> first;
  for (const ProcessedEvent& e : run.processed) {
    auto [it, inserted] = first.emplace(std::make_pair(e.key, e.counter), &e);
    if (!inserted && e.processed_at_micros < it->second->processed_at_micros) it->second = &e;
  }
  std::map<std::string, int64_t> last_first;
  for (const auto& [id, e] : first) {
    int64_t& last = last_first[e->shard_id];
    last = std::max(last, e->processed_at_micros);
  }
  std::map<std::string, const ProcessedEvent*> earliest;
  for (const ProcessedEvent& e : run.processed) {
    const ProcessedEvent*& seen = earliest[e.shard_id];
    if (seen == nullptr || e.processed_at_micros < seen->processed_at_micros) seen = &e;
  }
  // Every ancestor, not only the parents: a merge child of a shard that itself had no
  // records must still wait for its grandparents.
  std::function<void(const std::string&, std::set<std::string>*)> ancestors =
      [&](const std::string& shard, std::set<std::string>* out) {
        auto it = run.parents.find(shard);
        if (it == run.parents.end()) return;
        for (const std::string& parent : it->second) {
          if (out->insert(parent).second) ancestors(parent, out);
        }
      };
  for (const auto& [child, parents] : run.parents) {
    auto child_first = earliest.find(child);
    if (child_first == earliest.end()) continue;
    std::set<std::string> all;
    ancestors(child, &all);
    for (const std::string& ancestor : all) {
      auto ancestor_last = last_first.find(ancestor);
      if (ancestor_last == last_first.end()) continue;
      if (child_first->second->processed_at_micros < ancestor_last->second) {
        v->Add(
            "child before parent",
            absl::StrCat(child, " processed ", child_first->second->key, "#",
                         child_first->second->counter, " ",
                         ancestor_last->second - child_first->second->processed_at_micros,
                         " us before its ancestor ", ancestor, " had processed all its records"));
      }
    }
  }
}

void CheckSingleOwner(const RunRecord& run, Violations* v) {
  std::map<std::string, std::vector<const TenureStart*>> by_shard;
  for (const TenureStart& t : run.tenures) by_shard[t.shard_id].push_back(&t);
  for (auto& [shard, tenures] : by_shard) {
    std::sort(tenures.begin(), tenures.end(),
              [](const auto* a, const auto* b) { return a->at_micros < b->at_micros; });
  }
  std::set<std::tuple<std::string, std::string, int64_t>> batches;
  for (const ProcessedEvent& e : run.processed) {
    if (!batches.emplace(e.worker_id, e.shard_id, e.batch_start_micros).second) continue;
    const std::vector<const TenureStart*>& tenures = by_shard[e.shard_id];
    // This worker's tenure the batch belongs to: its latest start before the batch.
    int64_t own = -1;
    for (const TenureStart* t : tenures) {
      if (t->at_micros > e.batch_start_micros) break;
      if (t->worker_id == e.worker_id) own = t->at_micros;
    }
    if (own < 0) continue;  // (the worker's Initialize line was lost with a crash)
    for (const TenureStart* t : tenures) {
      if (t->at_micros <= own || t->worker_id == e.worker_id) continue;
      if (t->at_micros > e.batch_start_micros) break;
      // Another worker took the shard over at t: this one had to stop within the window.
      const auto frozen = run.frozen.find(e.worker_id);
      const int64_t allowed =
          run.fencing_window_micros +
          (frozen == run.frozen.end()
               ? 0
               : FrozenWithin(frozen->second, t->at_micros, e.batch_start_micros));
      if (e.batch_start_micros - t->at_micros > allowed) {
        v->Add("two owners",
               absl::StrCat(e.worker_id, " started a batch of ", e.shard_id, " ",
                            (e.batch_start_micros - t->at_micros) / 1000, " ms after ",
                            t->worker_id, " took it over (window ", allowed / 1000, " ms)"));
      }
      break;
    }
  }
}

// Nothing at or before the checkpoint an ownership started from is delivered to it.
void CheckNothingRevived(const RunRecord& run, Violations* v) {
  std::map<std::pair<std::string, std::string>, std::vector<const TenureStart*>> tenures;
  for (const TenureStart& t : run.tenures) tenures[{t.shard_id, t.worker_id}].push_back(&t);
  for (auto& [key, list] : tenures) {
    std::sort(list.begin(), list.end(),
              [](const auto* a, const auto* b) { return a->at_micros < b->at_micros; });
  }
  for (const ProcessedEvent& e : run.processed) {
    if (e.sequence_number.empty()) continue;
    const TenureStart* own = nullptr;
    for (const TenureStart* t : tenures[{e.shard_id, e.worker_id}]) {
      if (t->at_micros > e.batch_start_micros) break;
      own = t;
    }
    if (own == nullptr) continue;
    absl::StatusOr<checkpoint::ExtendedSequenceNumber> start =
        checkpoint::ExtendedSequenceNumber::Parse(own->checkpoint);
    absl::StatusOr<checkpoint::ExtendedSequenceNumber> position =
        checkpoint::ExtendedSequenceNumber::Of(e.sequence_number, e.sub_sequence_number);
    if (!start.ok() || !position.ok() || start->is_sentinel()) continue;
    if (*position <= *start) {
      v->Add("revived", absl::StrCat(e.worker_id, " was given ", e.key, "#", e.counter, " (",
                                     position->ToString(), ") on ", e.shard_id,
                                     " though its ownership started after ", start->ToString()));
    }
  }
}

void CheckCheckpointsMoveForward(const RunRecord& run, Violations* v) {
  std::vector<const LeaseSample*> samples;
  for (const LeaseSample& sample : run.leases) samples.push_back(&sample);
  std::sort(samples.begin(), samples.end(),
            [](const auto* a, const auto* b) { return a->at_micros < b->at_micros; });
  std::map<std::string, checkpoint::ExtendedSequenceNumber> last;
  for (const LeaseSample* sample : samples) {
    for (const auto& [shard, text] : sample->checkpoints) {
      absl::StatusOr<checkpoint::ExtendedSequenceNumber> value =
          checkpoint::ExtendedSequenceNumber::Parse(text);
      if (!value.ok()) {
        v->Add("checkpoint", absl::StrCat(shard, " holds an unreadable checkpoint ", text));
        continue;
      }
      auto it = last.find(shard);
      if (it != last.end() && *value < it->second) {
        v->Add("checkpoint went back",
               absl::StrCat(shard, ": ", it->second.ToString(), " → ", value->ToString()));
      }
      if (it == last.end() || it->second < *value) last[shard] = *value;
    }
  }
}

}  // namespace

Judgement JudgeRun(const RunRecord& run) {
  Judgement judgement;
  Violations violations(&judgement.violations);
  CheckCompleteAndInOrder(run, &judgement, &violations);
  if (run.listing_known) {
    CheckChildrenAfterParents(run, &violations);
  } else {
    violations.Add("lineage", "the stream's final listing failed: children after parents unjudged");
  }
  CheckNothingRevived(run, &violations);
  CheckSingleOwner(run, &violations);
  CheckCheckpointsMoveForward(run, &violations);
  violations.Summarize();
  return judgement;
}

}  // namespace eddy::chaos
