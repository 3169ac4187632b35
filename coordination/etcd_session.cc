// A worker's session on etcd (EtcdCoordinator::OpenSession): one etcd lease, kept alive
// every TTL/3, that the worker's owner keys attach to; and a watch announcing leases that
// become free (owner keys deleted) or are created. The session ends — and the worker stops
// processing what it held — when etcd says the lease is gone, or when no keepalive has
// been answered for the TTL by the local clock (etcd may then have let it expire).
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/errors.h"
#include "common/logging.h"
#include "coordination/etcd_coordinator.h"

namespace eddy::coordination {
namespace {

using namespace etcdserverpb;  // NOLINT: this file speaks etcd's API only

// etcd revokes expired leases on a 500 ms ticker, in whole-second TTLs: the lease is asked
// for the whole seconds that still free a crashed worker's leases within the session TTL
// (TTL − 0.5 s, rounded down), and at least etcd's minimum of 2 s.
int64_t GrantedTtlSeconds(int64_t session_ttl_millis) {
  return std::max<int64_t>(2, (session_ttl_millis - 500) / 1000);
}

class EtcdSession final : public client::WorkerSession {
 public:
  EtcdSession(EtcdCoordinator& coordinator, std::string app, std::string worker)
      : coordinator_(coordinator), app_(std::move(app)), worker_(std::move(worker)) {
    keepalive_ = std::thread([this] { KeepAliveLoop(); });
  }

  ~EtcdSession() override {
    Cancel();
    if (keepalive_.joinable()) keepalive_.join();
  }

  bool Next(Event* event) override {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &EtcdSession::Ready));
    if (ended_) return false;
    event->leases_available = available_;
    available_ = 0;
    first_reported_ = true;
    return true;
  }

  absl::Status Finish() override {
    if (keepalive_.joinable()) keepalive_.join();
    absl::MutexLock lock(&mu_);
    return end_status_;
  }

  void Cancel() override { End(absl::CancelledError("session cancelled")); }

 private:
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return ended_ || (live_ && !first_reported_) || available_ > 0;
  }

  void End(const absl::Status& why) {
    absl::MutexLock lock(&mu_);
    if (ended_) return;
    ended_ = true;
    end_status_ = why;
    // From now on nothing is valid under this session, before anyone hears it ended.
    if (lease_id_ != 0) coordinator_.DetachSession(lease_id_);
    if (watch_context_ != nullptr) watch_context_->TryCancel();
  }

  int64_t LeaseId() {
    absl::MutexLock lock(&mu_);
    return lease_id_;
  }

  bool Ended() {
    absl::MutexLock lock(&mu_);
    return ended_;
  }

  // Waits up to `millis` or until the session ends; true if it ended.
  bool WaitEnded(int64_t millis) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&ended_), absl::Milliseconds(millis));
  }

  void KeepAliveLoop() {
    auto log = common::Logger("eddy.kcl");
    EtcdClient& client = coordinator_.client();
    const int64_t ttl_seconds = GrantedTtlSeconds(coordinator_.options().session_ttl_millis);
    const int64_t sent = SteadyMillis();
    absl::StatusOr<LeaseGrantResponse> granted = client.LeaseGrant(ttl_seconds);
    if (!granted.ok()) {
      End(granted.status());
      return;
    }
    const int64_t id = granted->id();
    const int64_t ttl_millis = granted->ttl() * 1000;
    int64_t valid_until = sent + ttl_millis;
    bool cancelled = false;  // while the grant was on its way
    {
      absl::MutexLock lock(&mu_);
      cancelled = ended_;
      if (!cancelled) {
        lease_id_ = id;
        coordinator_.AttachSession(id, ttl_millis, valid_until);
      }
    }
    if (cancelled) {
      client.LeaseRevoke(id).IgnoreError();
      return;
    }
    watcher_ = std::thread([this] { WatchLoop(); });
    int64_t next = sent + ttl_millis / 3;
    while (!WaitEnded(std::max<int64_t>(next - SteadyMillis(), 0))) {
      const int64_t attempt = SteadyMillis();
      absl::StatusOr<LeaseKeepAliveResponse> alive = client.KeepAliveOnce(id);
      if (alive.ok() && alive->ttl() > 0) {
        valid_until = attempt + alive->ttl() * 1000;
        coordinator_.ExtendSession(id, valid_until);
        next = attempt + ttl_millis / 3;
      } else if (alive.ok()) {
        log->warn("worker={} etcd session lease {:x} expired", worker_, id);
        End(common::WithErrorType(absl::UnavailableError("the session's etcd lease expired"),
                                  common::kInternalFailure));
      } else if (SteadyMillis() >= valid_until) {
        log->warn("worker={} etcd session lease {:x}: no keepalive answered within the TTL: {}",
                  worker_, id, alive.status().ToString());
        End(alive.status());
      } else {
        next = SteadyMillis() + 200;  // try again soon, on the next member if this one failed
      }
    }
    coordinator_.DetachSession(id);
    if (watcher_.joinable()) watcher_.join();
    // Graceful end (or a lease already gone): free the owner keys at once.
    client.LeaseRevoke(id).IgnoreError();
  }

  // Range, then watch from the next revision; re-list (announce) and watch again after a
  // compaction, a cancel or a broken stream.
  void WatchLoop() {
    EtcdClient& client = coordinator_.client();
    const std::string owners = coordinator_.OwnerPrefix(app_);
    const std::string records = coordinator_.RecordPrefix(app_);
    bool first = true;
    while (!Ended()) {
      RangeRequest probe;
      probe.set_key(records);
      probe.set_range_end(PrefixEnd(records));
      probe.set_count_only(true);
      absl::StatusOr<RangeResponse> listed = client.Range(probe);
      if (!listed.ok()) {
        WaitEnded(200);
        continue;
      }
      const int64_t from = listed->header().revision() + 1;
      const size_t member = client.current();
      std::unique_ptr<grpc::ClientContext> context = EtcdClient::StreamContext();
      auto stream = client.watch_stub().Watch(context.get());
      {
        absl::MutexLock lock(&mu_);
        if (ended_) context->TryCancel();
        watch_context_ = context.get();
      }
      for (const std::string& prefix : {owners, records}) {
        WatchRequest request;
        WatchCreateRequest* create = request.mutable_create_request();
        create->set_key(prefix);
        create->set_range_end(PrefixEnd(prefix));
        create->set_start_revision(from);
        create->set_prev_kv(prefix == owners);  // whose owner key went
        stream->Write(request);
      }
      int created = 0;
      WatchResponse response;
      while (stream->Read(&response)) {
        if (response.created() && ++created == 2) {
          absl::MutexLock lock(&mu_);
          // Live once both watches run: nothing freed from here on goes unannounced. A
          // re-opened watch announces once, for what it may have missed.
          if (first) {
            live_ = true;
          } else {
            ++available_;
          }
          first = false;
        }
        if (response.canceled()) break;  // compacted, or the member lost its leader
        int freed = 0;
        bool ours_gone = false;
        const int64_t id = LeaseId();
        for (const mvccpb::Event& event : response.events()) {
          const bool owner_gone = event.type() == mvccpb::Event::DELETE &&
                                  event.kv().key().compare(0, owners.size(), owners) == 0;
          ours_gone = ours_gone || (owner_gone && id != 0 && event.prev_kv().lease() == id);
          const bool created_lease = event.type() == mvccpb::Event::PUT &&
                                     event.kv().key().compare(0, records.size(), records) == 0 &&
                                     event.kv().create_revision() == event.kv().mod_revision();
          if (owner_gone || created_lease) ++freed;
        }
        if (freed > 0) {
          absl::MutexLock lock(&mu_);
          available_ += freed;
        }
        // One of this session's owner keys went: a release of ours — or the lease revoked
        // (etcdctl lease revoke) or expired early by etcd's clock, when others may take
        // the shards at once. Ask now rather than at the next keepalive.
        if (ours_gone) {
          absl::StatusOr<LeaseKeepAliveResponse> alive = client.KeepAliveOnce(id);
          if (alive.ok() && alive->ttl() <= 0) {
            End(common::WithErrorType(absl::UnavailableError("the session's etcd lease is gone"),
                                      common::kInternalFailure));
          }
        }
      }
      stream->WritesDone();
      context->TryCancel();
      stream->Finish();
      {
        absl::MutexLock lock(&mu_);
        watch_context_ = nullptr;
      }
      if (!Ended()) {
        client.FailOver(member);
        WaitEnded(100);
      }
    }
  }

  EtcdCoordinator& coordinator_;
  const std::string app_;
  const std::string worker_;
  absl::Mutex mu_;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool live_ ABSL_GUARDED_BY(mu_) = false;
  bool first_reported_ ABSL_GUARDED_BY(mu_) = false;
  int available_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status end_status_ ABSL_GUARDED_BY(mu_);
  grpc::ClientContext* watch_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  int64_t lease_id_ ABSL_GUARDED_BY(mu_) = 0;  // once granted
  std::thread keepalive_;
  std::thread watcher_;  // started and joined by the keepalive thread only
};

}  // namespace

std::unique_ptr<client::WorkerSession> EtcdCoordinator::OpenSession(const std::string& application,
                                                                    const std::string& worker) {
  return std::make_unique<EtcdSession>(*this, application, worker);
}

}  // namespace eddy::coordination
