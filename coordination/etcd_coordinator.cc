#include "coordination/etcd_coordinator.h"

#include <chrono>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/errors.h"
#include "lease/coordinator_store.h"
#include "lease/lease_codec.h"
#include "lease/store_views.h"

namespace eddy::coordination {
namespace {

using namespace etcdserverpb;  // NOLINT: this file speaks etcd's API only
using lease::Lease;

// A compare that lost to a concurrent writer is decided again on a fresh read; each round
// means another writer moved the lease, so a bounded number always suffices in practice.
constexpr int kMaxRounds = 64;
// Leases whose last seen state is kept (a worker touches a few hundred at most).
constexpr size_t kMaxCachedLeases = 100'000;

std::string OwnerValue(const std::string& owner, uint64_t epoch) {
  return absl::StrCat(owner, "/", epoch);
}

RequestOp RangeOp(const std::string& key, const std::string& range_end = "") {
  RequestOp op;
  op.mutable_request_range()->set_key(key);
  op.mutable_request_range()->set_range_end(range_end);
  return op;
}

RequestOp PutOp(const std::string& key, const std::string& value, int64_t lease = 0) {
  RequestOp op;
  op.mutable_request_put()->set_key(key);
  op.mutable_request_put()->set_value(value);
  op.mutable_request_put()->set_lease(lease);
  return op;
}

RequestOp DeleteOp(const std::string& key, const std::string& range_end = "") {
  RequestOp op;
  op.mutable_request_delete_range()->set_key(key);
  op.mutable_request_delete_range()->set_range_end(range_end);
  return op;
}

Compare CompareRevision(const std::string& key, Compare::CompareTarget target,
                        Compare::CompareResult result, int64_t revision) {
  Compare compare;
  compare.set_key(key);
  compare.set_target(target);
  compare.set_result(result);
  if (target == Compare::CREATE) {
    compare.set_create_revision(revision);
  } else {
    compare.set_mod_revision(revision);
  }
  return compare;
}

const mvccpb::KeyValue* OnlyKv(const ResponseOp& op) {
  const RangeResponse& range = op.response_range();
  return range.kvs_size() == 0 ? nullptr : &range.kvs(0);
}

absl::Status UnknownApplication(const std::string& app) {
  return common::ResourceNotFound(
      absl::StrCat("Application ", app, " has no lease table; create it first."));
}

// The lease as the other backends would show it: owned only while its owner key holds
// this very ownership (the key goes when the owner's session does).
Lease Effective(Lease record, const std::string& owner_value) {
  if (!record.owner.empty() && owner_value != OwnerValue(record.owner, record.epoch)) {
    record.owner.clear();
  }
  return record;
}

}  // namespace

EtcdCoordinator::EtcdCoordinator(EtcdCoordinatorOptions options)
    : options_(std::move(options)), client_(options_.client) {}

EtcdCoordinator::~EtcdCoordinator() = default;

std::string EtcdCoordinator::AppKey(const std::string& app) const {
  return absl::StrCat(options_.prefix, "/apps/", app);
}
std::string EtcdCoordinator::RecordPrefix(const std::string& app) const {
  return absl::StrCat(options_.prefix, "/leases/", app, "/");
}
std::string EtcdCoordinator::OwnerPrefix(const std::string& app) const {
  return absl::StrCat(options_.prefix, "/owners/", app, "/");
}

std::unique_ptr<lease::LeaseTable> EtcdCoordinator::Leases(const std::string& application) {
  return std::make_unique<lease::LeaseTableView<EtcdCoordinator>>(*this, application);
}

std::unique_ptr<checkpoint::CheckpointStore> EtcdCoordinator::Checkpoints(
    const std::string& application) {
  return std::make_unique<lease::CheckpointView<EtcdCoordinator>>(*this, application);
}

void EtcdCoordinator::AttachSession(int64_t lease_id, int64_t ttl_millis,
                                    int64_t valid_until_millis) {
  // The margin covers the clock rates of this host and the etcd leader differing, and the
  // time between a check and the batch it admits.
  session_margin_millis_ = std::max<int64_t>(ttl_millis / 10, 20);
  session_valid_until_ = valid_until_millis;
  session_lease_ = lease_id;
}

void EtcdCoordinator::ExtendSession(int64_t lease_id, int64_t valid_until_millis) {
  if (session_lease_.load() == lease_id) session_valid_until_ = valid_until_millis;
}

void EtcdCoordinator::DetachSession(int64_t lease_id) {
  int64_t expected = lease_id;
  if (session_lease_.compare_exchange_strong(expected, 0)) session_valid_until_ = 0;
}

bool EtcdCoordinator::SessionValid() const {
  return session_lease_.load() != 0 &&
         SteadyMillis() + session_margin_millis_.load() < session_valid_until_.load();
}

absl::StatusOr<bool> EtcdCoordinator::CreateApplication(const std::string& application) {
  if (absl::Status s = lease::ValidateApplicationName(application); !s.ok()) return s;
  TxnRequest txn;
  *txn.add_compare() = CompareRevision(AppKey(application), Compare::CREATE, Compare::EQUAL, 0);
  *txn.add_success() = PutOp(AppKey(application), "");
  // An ambiguous answer comes back as an error: asking again then says false (it exists).
  absl::StatusOr<TxnResponse> response = client_.Txn(txn);
  if (!response.ok()) return response.status();
  return response->succeeded();
}

absl::StatusOr<bool> EtcdCoordinator::DeleteApplication(const std::string& application) {
  if (absl::Status s = lease::ValidateApplicationName(application); !s.ok()) return s;
  TxnRequest txn;
  *txn.add_compare() = CompareRevision(AppKey(application), Compare::CREATE, Compare::GREATER, 0);
  *txn.add_success() = DeleteOp(AppKey(application));
  *txn.add_success() = DeleteOp(RecordPrefix(application), PrefixEnd(RecordPrefix(application)));
  *txn.add_success() = DeleteOp(OwnerPrefix(application), PrefixEnd(OwnerPrefix(application)));
  absl::StatusOr<TxnResponse> response = client_.Txn(txn);
  if (!response.ok()) return response.status();
  return response->succeeded();
}

absl::StatusOr<std::vector<std::string>> EtcdCoordinator::ListApplications() {
  const std::string prefix = AppKey("");
  RangeRequest request;
  request.set_key(prefix);
  request.set_range_end(PrefixEnd(prefix));
  request.set_keys_only(true);
  absl::StatusOr<RangeResponse> response = client_.Range(request);
  if (!response.ok()) return response.status();
  std::vector<std::string> apps;
  for (const mvccpb::KeyValue& kv : response->kvs()) apps.push_back(kv.key().substr(prefix.size()));
  return apps;
}

std::vector<RequestOp> EtcdCoordinator::SnapshotReads(const std::string& app,
                                                      const std::string& key) const {
  return {RangeOp(AppKey(app)), RangeOp(RecordPrefix(app) + key), RangeOp(OwnerPrefix(app) + key)};
}

absl::StatusOr<EtcdCoordinator::Snapshot> EtcdCoordinator::ParseSnapshot(
    const std::string& app, const google::protobuf::RepeatedPtrField<ResponseOp>& responses) {
  if (responses.size() != 3) {
    return common::InternalFailure("etcd answered a three-read Txn with another shape");
  }
  if (OnlyKv(responses[0]) == nullptr) return UnknownApplication(app);
  Snapshot snapshot;
  if (const mvccpb::KeyValue* owner = OnlyKv(responses[2])) {
    snapshot.owner_value = owner->value();
    snapshot.owner_mod = owner->mod_revision();
  }
  if (const mvccpb::KeyValue* record = OnlyKv(responses[1])) {
    absl::StatusOr<Lease> lease = lease::DecodeLease(record->value());
    if (!lease.ok()) return lease.status();
    snapshot.record_bytes = record->value();
    snapshot.record_mod = record->mod_revision();
    snapshot.lease = Effective(std::move(*lease), snapshot.owner_value);
  }
  return snapshot;
}

absl::StatusOr<EtcdCoordinator::Snapshot> EtcdCoordinator::Read(const std::string& app,
                                                                const std::string& key) {
  TxnRequest txn;  // reads only: one revision for all three, served without a Raft write
  for (RequestOp& op : SnapshotReads(app, key)) *txn.add_success() = std::move(op);
  absl::StatusOr<TxnResponse> response = client_.Txn(txn);
  if (!response.ok()) return response.status();
  absl::StatusOr<Snapshot> snapshot = ParseSnapshot(app, response->responses());
  if (snapshot.ok()) Remember(app, key, *snapshot);
  return snapshot;
}

std::optional<EtcdCoordinator::Snapshot> EtcdCoordinator::Cached(const std::string& app,
                                                                 const std::string& key) {
  absl::MutexLock lock(&cache_mu_);
  auto it = cache_.find(RecordPrefix(app) + key);
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

void EtcdCoordinator::Remember(const std::string& app, const std::string& key,
                               const Snapshot& snapshot) {
  absl::MutexLock lock(&cache_mu_);
  if (cache_.size() >= kMaxCachedLeases) cache_.clear();  // a bound, not a policy
  cache_[RecordPrefix(app) + key] = snapshot;
}

void EtcdCoordinator::Forget(const std::string& app, const std::string& key) {
  absl::MutexLock lock(&cache_mu_);
  cache_.erase(RecordPrefix(app) + key);
}

absl::StatusOr<bool> EtcdCoordinator::Apply(const std::string& app, const std::string& key,
                                            const absl::StatusOr<lease::LeaseChange>& change) {
  if (!change.ok()) return change.status();
  return Mutate(app, key, *change);
}

absl::StatusOr<bool> EtcdCoordinator::Mutate(const std::string& app, const std::string& key,
                                             const lease::LeaseChange& change) {
  if (absl::Status s = lease::ValidateApplicationName(app); !s.ok()) return s;
  if (absl::Status s = lease::ValidateLeaseKey(key); !s.ok()) return s;
  const std::string record_key = RecordPrefix(app) + key;
  const std::string owner_key = OwnerPrefix(app) + key;
  // The last state this coordinator saw of the lease serves as the compare's expectation:
  // right, the write lands in one round trip; wrong, the Txn fails its compare and its
  // failure branch brings the current state. Only an answer from current state counts:
  // a change that does not apply to cached state is decided again on a fresh read.
  std::optional<Snapshot> snapshot = Cached(app, key);
  bool fresh = false;
  // What an earlier round wrote when its answer was lost: if the lease holds exactly that
  // now, at a newer revision than that round compared, that round won.
  struct Unanswered {
    int64_t record_mod = 0;  // what the lost round compared against
    std::string record_bytes;
    std::string owner_value;
  };
  std::optional<Unanswered> maybe_landed;
  // Rounds are bounded in time as well: a store that keeps failing writes must not hold
  // the caller (a worker's renewals) for long.
  const auto give_up = std::chrono::steady_clock::now() + 2 * client_.timeout();
  for (int round = 0; round < kMaxRounds && std::chrono::steady_clock::now() < give_up;
       ++round) {
    if (!snapshot.has_value()) {
      absl::StatusOr<Snapshot> read = Read(app, key);
      if (!read.ok()) return read.status();
      snapshot = std::move(*read);
      fresh = true;
    }
    if (maybe_landed.has_value() && snapshot->record_mod != maybe_landed->record_mod &&
        snapshot->record_bytes == maybe_landed->record_bytes &&
        snapshot->owner_value == maybe_landed->owner_value) {
      Remember(app, key, *snapshot);
      return true;
    }
    std::optional<Lease> lease = snapshot->lease;
    absl::StatusOr<bool> won = change(lease);
    if (!won.ok() || !*won) {
      if (fresh) return won;
      snapshot.reset();  // perhaps stale: decide on what is there now
      continue;
    }

    TxnRequest txn;
    *txn.add_compare() = CompareRevision(AppKey(app), Compare::CREATE, Compare::GREATER, 0);
    *txn.add_compare() =
        CompareRevision(record_key, Compare::MOD, Compare::EQUAL, snapshot->record_mod);
    *txn.add_compare() =
        CompareRevision(owner_key, Compare::MOD, Compare::EQUAL, snapshot->owner_mod);
    for (RequestOp& op : SnapshotReads(app, key)) *txn.add_failure() = std::move(op);
    Snapshot after;  // the lease once the write lands (revisions filled in below)
    bool owner_written = false;
    if (lease.has_value()) {
      after.record_bytes = lease::EncodeLease(*lease);
      *txn.add_success() = PutOp(record_key, after.record_bytes);
      if (!lease->owner.empty()) {
        after.owner_value = OwnerValue(lease->owner, lease->epoch);
        // A new ownership attaches to this worker's session: it ends with the session.
        if (after.owner_value != snapshot->owner_value) {
          const int64_t session = session_lease_.load();
          if (session == 0 && options_.require_session) {
            return common::WithErrorType(
                absl::UnavailableError("no live etcd session to hold a new lease under"),
                common::kInternalFailure);
          }
          *txn.add_success() = PutOp(owner_key, after.owner_value, session);
          owner_written = true;
        } else {
          after.owner_mod = snapshot->owner_mod;
        }
      } else if (snapshot->owner_mod != 0) {
        *txn.add_success() = DeleteOp(owner_key);
      }
      after.lease = lease;
    } else {
      *txn.add_success() = DeleteOp(record_key);
      if (snapshot->owner_mod != 0) *txn.add_success() = DeleteOp(owner_key);
    }
    absl::StatusOr<TxnResponse> response = client_.Txn(txn);
    if (response.ok() && response->succeeded()) {
      const int64_t revision = response->header().revision();
      if (lease.has_value()) {
        after.record_mod = revision;
        if (owner_written) after.owner_mod = revision;
        Remember(app, key, after);
      } else {
        Forget(app, key);
      }
      return true;
    }
    if (response.ok()) {
      // Lost the compare: the failure branch read what is there now.
      absl::StatusOr<Snapshot> current = ParseSnapshot(app, response->responses());
      if (!current.ok()) return current.status();
      Remember(app, key, *current);
      snapshot = std::move(*current);
      fresh = true;
      continue;
    }
    if (!Ambiguous(response.status())) return response.status();
    // Perhaps applied: the next read tells (a record deleted reads as "").
    maybe_landed = Unanswered{snapshot->record_mod, after.record_bytes, after.owner_value};
    Forget(app, key);
    snapshot.reset();
  }
  return common::WithErrorType(
      absl::AbortedError(absl::StrCat("lease ", key, " of ", app,
                                      ": no answer from etcd settled the update in time")),
      common::kInternalFailure);
}

absl::StatusOr<bool> EtcdCoordinator::CreateIfAbsent(const std::string& app, const Lease& lease) {
  return Apply(app, lease.key, lease::CreateIfAbsentChange(lease));
}

absl::StatusOr<std::optional<Lease>> EtcdCoordinator::Get(const std::string& app,
                                                          const std::string& key) {
  if (absl::Status s = lease::ValidateApplicationName(app); !s.ok()) return s;
  if (absl::Status s = lease::ValidateLeaseKey(key); !s.ok()) return s;
  absl::StatusOr<Snapshot> snapshot = Read(app, key);
  if (!snapshot.ok()) return snapshot.status();
  return snapshot->lease;
}

absl::StatusOr<std::vector<Lease>> EtcdCoordinator::List(const std::string& app) {
  if (absl::Status s = lease::ValidateApplicationName(app); !s.ok()) return s;
  TxnRequest txn;
  *txn.add_success() = RangeOp(AppKey(app));
  *txn.add_success() = RangeOp(RecordPrefix(app), PrefixEnd(RecordPrefix(app)));
  *txn.add_success() = RangeOp(OwnerPrefix(app), PrefixEnd(OwnerPrefix(app)));
  absl::StatusOr<TxnResponse> response = client_.Txn(txn);
  if (!response.ok()) return response.status();
  if (response->responses_size() != 3) {
    return common::InternalFailure("etcd answered a three-read Txn with another shape");
  }
  if (OnlyKv(response->responses(0)) == nullptr) return UnknownApplication(app);
  std::map<std::string, std::string> owners;  // lease key → owner value
  const std::string owner_prefix = OwnerPrefix(app);
  for (const mvccpb::KeyValue& kv : response->responses(2).response_range().kvs()) {
    owners[kv.key().substr(owner_prefix.size())] = kv.value();
  }
  std::vector<Lease> leases;
  for (const mvccpb::KeyValue& kv : response->responses(1).response_range().kvs()) {
    absl::StatusOr<Lease> lease = lease::DecodeLease(kv.value());
    if (!lease.ok()) return lease.status();
    auto owner = owners.find(lease->key);
    leases.push_back(Effective(std::move(*lease), owner == owners.end() ? "" : owner->second));
  }
  return leases;  // etcd ranges are in key order
}

absl::StatusOr<bool> EtcdCoordinator::Take(const std::string& app, const std::string& key,
                                           uint64_t expected_counter,
                                           const std::string& new_owner) {
  return Apply(app, key, lease::TakeChange(expected_counter, new_owner));
}

absl::StatusOr<bool> EtcdCoordinator::Renew(const std::string& app, const std::string& key,
                                            const std::string& expected_owner,
                                            uint64_t expected_counter) {
  return Apply(app, key, lease::RenewChange(expected_owner, expected_counter));
}

absl::StatusOr<bool> EtcdCoordinator::Evict(const std::string& app, const std::string& key,
                                            const std::string& expected_owner) {
  return Apply(app, key, lease::EvictChange(expected_owner));
}

absl::StatusOr<bool> EtcdCoordinator::UpdateLineage(const std::string& app, const std::string& key,
                                                    const std::string& expected_owner,
                                                    const std::vector<std::string>& children) {
  return Apply(app, key, lease::LineageChange(expected_owner, children));
}

absl::StatusOr<bool> EtcdCoordinator::RequestHandoff(const std::string& app, const std::string& key,
                                                     const std::string& expected_owner,
                                                     const std::string& requester) {
  return Apply(app, key, lease::HandoffChange(expected_owner, requester));
}

absl::StatusOr<bool> EtcdCoordinator::Delete(const std::string& app, const std::string& key) {
  return Mutate(app, key, lease::DeleteChange());
}

absl::StatusOr<checkpoint::CheckpointRecord> EtcdCoordinator::ReadCheckpoint(
    const std::string& app, const std::string& key) {
  absl::StatusOr<std::optional<Lease>> lease = Get(app, key);
  if (!lease.ok()) return lease.status();
  return lease::CheckpointOf(app, key, *lease);
}

absl::StatusOr<bool> EtcdCoordinator::SaveCheckpoint(
    const std::string& app, const std::string& key, const checkpoint::Ownership& ownership,
    const checkpoint::ExtendedSequenceNumber& value, const std::string& state) {
  return Apply(app, key, lease::SaveCheckpointChange(ownership, value, state));
}

absl::StatusOr<bool> EtcdCoordinator::PrepareCheckpoint(
    const std::string& app, const std::string& key, const checkpoint::Ownership& ownership,
    const checkpoint::ExtendedSequenceNumber& pending, const std::string& state) {
  return Apply(app, key, lease::PrepareCheckpointChange(ownership, pending, state));
}

absl::StatusOr<bool> EtcdCoordinator::CommitCheckpoint(const std::string& app,
                                                       const std::string& key,
                                                       const checkpoint::Ownership& ownership) {
  return Mutate(app, key, lease::CommitCheckpointChange(key, ownership));
}

}  // namespace eddy::coordination
