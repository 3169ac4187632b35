#include "broker/fanout_hub.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/errors.h"

namespace eddy::broker {

FanOutHub::FanOutHub(const RecordStore& store, const common::Clock& clock,
                     const FanOutOptions& options, const BrokerLimits& limits)
    : store_(store), clock_(clock), options_(options), limits_(limits), runner_(options.threads) {}

FanOutHub::~FanOutHub() { Stop(); }

void FanOutHub::Start() { runner_.Start(); }

void FanOutHub::Stop() {
  std::vector<std::shared_ptr<Subscription>> sessions;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [key, active] : active_) sessions.push_back(active.session);
  }
  for (auto& session : sessions) session->End(absl::UnavailableError("the broker is stopping"));
  runner_.Stop();
}

absl::StatusOr<std::shared_ptr<Subscription>> FanOutHub::Subscribe(
    const std::string& consumer_arn, std::shared_ptr<StreamState> stream,
    std::shared_ptr<ShardState> shard, uint64_t next_counter) {
  const Key key{consumer_arn, stream->id, shard->index};
  const int64_t now = clock_.NowMillis();
  std::shared_ptr<Subscription> replaced;
  std::shared_ptr<Subscription> session;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return absl::UnavailableError("the broker is stopping");
    auto it = active_.find(key);
    if (it != active_.end() && !it->second.session->finished()) {
      if (now - it->second.started_millis < options_.takeover_millis) {
        return common::ResourceInUse(
            absl::StrCat("Another active subscription exists for consumer ", consumer_arn,
                         " on shard ", shard->shard_id, "; a new one may take over ",
                         options_.takeover_millis, " ms after it started."));
      }
      replaced = it->second.session;
    }
    std::shared_ptr<common::TokenBucket>& budget = budgets_[key];
    if (budget == nullptr && limits_.throughput_enforced) {
      budget = std::make_shared<common::TokenBucket>(limits_.push_bytes_per_second,
                                                     limits_.push_bytes_per_second, clock_);
    }
    Subscription::Context context;
    context.stream = std::move(stream);
    context.shard = shard;
    context.consumer_arn = consumer_arn;
    context.budget = budget;
    context.store = &store_;
    context.clock = &clock_;
    context.runner = &runner_;
    context.options = options_;
    context.on_finished = [this](Subscription* finished) { Forget(finished); };
    session = std::make_shared<Subscription>(std::move(context), next_counter);
    active_[key] = Active{session, now};
    auto& on_shard = by_shard_[shard.get()];
    if (replaced != nullptr) {
      on_shard.erase(std::remove(on_shard.begin(), on_shard.end(), replaced), on_shard.end());
    }
    on_shard.push_back(session);
  }
  if (replaced != nullptr) {
    replaced->End(
        common::ResourceInUse(absl::StrCat("A newer subscription of consumer ", consumer_arn,
                                           " took over shard ", shard->shard_id, ".")));
  }
  return session;
}

void FanOutHub::OnCommit(const ShardState& shard) {
  std::vector<std::shared_ptr<Subscription>> sessions;
  {
    absl::MutexLock lock(&mu_);
    auto it = by_shard_.find(&shard);
    if (it == by_shard_.end()) return;
    sessions = it->second;
  }
  for (auto& session : sessions) session->Wake();
}

void FanOutHub::EndConsumer(const std::string& consumer_arn, const absl::Status& status) {
  std::vector<std::shared_ptr<Subscription>> sessions;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [key, active] : active_) {
      if (std::get<0>(key) == consumer_arn) sessions.push_back(active.session);
    }
    for (auto it = budgets_.begin(); it != budgets_.end();) {
      it = std::get<0>(it->first) == consumer_arn ? budgets_.erase(it) : std::next(it);
    }
  }
  for (auto& session : sessions) session->End(status);
}

void FanOutHub::EndStream(uint64_t stream_id, const absl::Status& status) {
  std::vector<std::shared_ptr<Subscription>> sessions;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [key, active] : active_) {
      if (std::get<1>(key) == stream_id) sessions.push_back(active.session);
    }
    for (auto it = budgets_.begin(); it != budgets_.end();) {
      it = std::get<1>(it->first) == stream_id ? budgets_.erase(it) : std::next(it);
    }
  }
  for (auto& session : sessions) session->End(status);
}

void FanOutHub::Forget(Subscription* session) {
  absl::MutexLock lock(&mu_);
  const Key key{session->consumer_arn(), session->shard().stream_id, session->shard().index};
  auto it = active_.find(key);
  if (it != active_.end() && it->second.session.get() == session) active_.erase(it);
  auto shard_it = by_shard_.find(&session->shard());
  if (shard_it != by_shard_.end()) {
    auto& list = shard_it->second;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [session](const auto& s) { return s.get() == session; }),
               list.end());
    if (list.empty()) by_shard_.erase(shard_it);
  }
}

int FanOutHub::SessionCount() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(active_.size());
}

}  // namespace eddy::broker
