#include "lease/coordinator_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "absl/strings/str_cat.h"
#include "common/errors.h"
#include "lease/lease_codec.h"
#include "lease/lease_rules.h"
#include "lease/store_views.h"

namespace eddy::lease {
namespace {

// Keys: prefix 'a' app → "" (the application exists); prefix 'l' app '\0' key → lease.
constexpr char kAppTag = 'a';
constexpr char kLeaseTag = 'l';

absl::Status FromRocks(const rocksdb::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return common::InternalFailure(absl::StrCat("coordinator storage: ", status.ToString()));
}

rocksdb::WriteOptions Durable() {
  rocksdb::WriteOptions options;
  options.sync = true;
  return options;
}

}  // namespace

absl::Status ValidateApplicationName(const std::string& application) {
  bool ok = !application.empty() && application.size() <= 128;
  for (char c : application) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '.' || c == '-');
  }
  if (!ok) {
    return common::InvalidArgument(absl::StrCat("Invalid application name '",
                                                application.substr(0, 140),
                                                "': 1–128 characters of [a-zA-Z0-9_.-]."));
  }
  return absl::OkStatus();
}

absl::Status ValidateLeaseKey(const std::string& key) {
  bool ok = !key.empty() && key.size() <= kMaxLeaseKeyBytes;
  for (char c : key) ok = ok && static_cast<unsigned char>(c) >= 0x20 && c != 0x7F;
  if (!ok) {
    return common::InvalidArgument(absl::StrCat("Invalid lease key '", key.substr(0, 64), "': 1–",
                                                kMaxLeaseKeyBytes,
                                                " bytes without control characters."));
  }
  return absl::OkStatus();
}

CoordinatorStore::CoordinatorStore(rocksdb::DB* db, std::unique_ptr<rocksdb::DB> owned,
                                   std::string prefix)
    : owned_(std::move(owned)), db_(db), prefix_(std::move(prefix)) {}

CoordinatorStore::~CoordinatorStore() = default;

absl::StatusOr<std::unique_ptr<CoordinatorStore>> CoordinatorStore::Open(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(options, path, &raw);
  if (!status.ok()) {
    return common::InternalFailure(
        absl::StrCat("cannot open coordinator database at '", path, "': ", status.ToString()));
  }
  std::unique_ptr<rocksdb::DB> owned(raw);
  return std::unique_ptr<CoordinatorStore>(new CoordinatorStore(raw, std::move(owned), ""));
}

std::unique_ptr<CoordinatorStore> CoordinatorStore::OverDatabase(rocksdb::DB* db,
                                                                 std::string prefix) {
  return std::unique_ptr<CoordinatorStore>(new CoordinatorStore(db, nullptr, std::move(prefix)));
}

std::unique_ptr<LeaseTable> CoordinatorStore::Leases(const std::string& application) {
  return std::make_unique<LeaseTableView<CoordinatorStore>>(*this, application);
}

std::unique_ptr<checkpoint::CheckpointStore> CoordinatorStore::Checkpoints(
    const std::string& application) {
  return std::make_unique<CheckpointView<CoordinatorStore>>(*this, application);
}

std::string CoordinatorStore::AppKey(const std::string& app) const {
  return absl::StrCat(prefix_, std::string(1, kAppTag), app);
}

std::string CoordinatorStore::LeaseKey(const std::string& app, const std::string& key) const {
  return absl::StrCat(prefix_, std::string(1, kLeaseTag), app, std::string(1, '\0'), key);
}

absl::Status CoordinatorStore::CheckApplicationLocked(const std::string& app) {
  if (absl::Status s = ValidateApplicationName(app); !s.ok()) return s;
  std::string ignored;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), AppKey(app), &ignored);
  if (status.IsNotFound()) {
    return common::ResourceNotFound(
        absl::StrCat("Application ", app, " has no lease table; create it first."));
  }
  return FromRocks(status);
}

absl::StatusOr<bool> CoordinatorStore::CreateApplication(const std::string& application) {
  if (absl::Status s = ValidateApplicationName(application); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  std::string ignored;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), AppKey(application), &ignored);
  if (status.ok()) return false;
  if (!status.IsNotFound()) return FromRocks(status);
  if (absl::Status s = FromRocks(db_->Put(Durable(), AppKey(application), "")); !s.ok()) return s;
  return true;
}

absl::StatusOr<bool> CoordinatorStore::DeleteApplication(const std::string& application) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckApplicationLocked(application); !s.ok()) {
    if (absl::IsNotFound(s)) return false;
    return s;
  }
  const std::string begin = LeaseKey(application, "");
  const std::string end =
      absl::StrCat(prefix_, std::string(1, kLeaseTag), application, std::string(1, '\x01'));
  rocksdb::WriteBatch batch;
  batch.DeleteRange(begin, end);
  batch.Delete(AppKey(application));
  if (absl::Status s = FromRocks(db_->Write(Durable(), &batch)); !s.ok()) return s;
  return true;
}

absl::StatusOr<std::vector<std::string>> CoordinatorStore::ListApplications() {
  const std::string prefix = absl::StrCat(prefix_, std::string(1, kAppTag));
  std::vector<std::string> apps;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    apps.push_back(it->key().ToString().substr(prefix.size()));
  }
  if (absl::Status s = FromRocks(it->status()); !s.ok()) return s;
  return apps;
}

absl::StatusOr<bool> CoordinatorStore::Mutate(const std::string& app, const std::string& key,
                                              const Change& change) {
  if (absl::Status s = ValidateLeaseKey(key); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckApplicationLocked(app); !s.ok()) return s;
  const std::string db_key = LeaseKey(app, key);
  std::string bytes;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), db_key, &bytes);
  std::optional<Lease> lease;
  if (status.ok()) {
    absl::StatusOr<Lease> decoded = DecodeLease(bytes);
    if (!decoded.ok()) return decoded.status();
    lease = std::move(*decoded);
  } else if (!status.IsNotFound()) {
    return FromRocks(status);
  }
  const bool existed = lease.has_value();
  absl::StatusOr<bool> won = change(lease);
  if (!won.ok() || !*won) return won;
  if (lease.has_value()) {
    if (absl::Status s = FromRocks(db_->Put(Durable(), db_key, EncodeLease(*lease))); !s.ok()) {
      return s;
    }
  } else if (existed) {
    if (absl::Status s = FromRocks(db_->Delete(Durable(), db_key)); !s.ok()) return s;
  }
  return true;
}

// Runs a change from lease_rules.h (or returns why it could not be made).
absl::StatusOr<bool> CoordinatorStore::Apply(const std::string& app, const std::string& key,
                                             const absl::StatusOr<LeaseChange>& change) {
  if (!change.ok()) return change.status();
  return Mutate(app, key, *change);
}

absl::StatusOr<bool> CoordinatorStore::CreateIfAbsent(const std::string& app, const Lease& lease) {
  return Apply(app, lease.key, CreateIfAbsentChange(lease));
}

absl::StatusOr<std::optional<Lease>> CoordinatorStore::Get(const std::string& app,
                                                           const std::string& key) {
  std::optional<Lease> found;
  absl::StatusOr<bool> read = Mutate(app, key, ReadChange(&found));
  if (!read.ok()) return read.status();
  return found;
}

absl::StatusOr<std::vector<Lease>> CoordinatorStore::List(const std::string& app) {
  std::vector<Lease> leases;
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckApplicationLocked(app); !s.ok()) return s;
  const std::string prefix = LeaseKey(app, "");
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    absl::StatusOr<Lease> lease =
        DecodeLease(absl::string_view(it->value().data(), it->value().size()));
    if (!lease.ok()) return lease.status();
    leases.push_back(std::move(*lease));
  }
  if (absl::Status s = FromRocks(it->status()); !s.ok()) return s;
  return leases;
}

absl::StatusOr<bool> CoordinatorStore::Take(const std::string& app, const std::string& key,
                                            uint64_t expected_counter,
                                            const std::string& new_owner) {
  return Apply(app, key, TakeChange(expected_counter, new_owner));
}

absl::StatusOr<bool> CoordinatorStore::Renew(const std::string& app, const std::string& key,
                                             const std::string& expected_owner,
                                             uint64_t expected_counter) {
  return Apply(app, key, RenewChange(expected_owner, expected_counter));
}

absl::StatusOr<bool> CoordinatorStore::Evict(const std::string& app, const std::string& key,
                                             const std::string& expected_owner,
                                             std::optional<uint64_t> expected_epoch) {
  return Apply(app, key, EvictChange(expected_owner, expected_epoch));
}

absl::StatusOr<bool> CoordinatorStore::UpdateLineage(const std::string& app, const std::string& key,
                                                     const std::string& expected_owner,
                                                     const std::vector<std::string>& children) {
  return Apply(app, key, LineageChange(expected_owner, children));
}

absl::StatusOr<bool> CoordinatorStore::RequestHandoff(const std::string& app,
                                                      const std::string& key,
                                                      const std::string& expected_owner,
                                                      const std::string& requester) {
  return Apply(app, key, HandoffChange(expected_owner, requester));
}

absl::StatusOr<bool> CoordinatorStore::Delete(const std::string& app, const std::string& key) {
  return Mutate(app, key, DeleteChange());
}

absl::StatusOr<checkpoint::CheckpointRecord> CoordinatorStore::ReadCheckpoint(
    const std::string& app, const std::string& key) {
  absl::StatusOr<std::optional<Lease>> lease = Get(app, key);
  if (!lease.ok()) return lease.status();
  return CheckpointOf(app, key, *lease);
}

absl::StatusOr<bool> CoordinatorStore::SaveCheckpoint(
    const std::string& app, const std::string& key, const checkpoint::Ownership& ownership,
    const checkpoint::ExtendedSequenceNumber& value, const std::string& state) {
  return Apply(app, key, SaveCheckpointChange(ownership, value, state));
}

absl::StatusOr<bool> CoordinatorStore::PrepareCheckpoint(
    const std::string& app, const std::string& key, const checkpoint::Ownership& ownership,
    const checkpoint::ExtendedSequenceNumber& pending, const std::string& state) {
  return Apply(app, key, PrepareCheckpointChange(ownership, pending, state));
}

absl::StatusOr<bool> CoordinatorStore::CommitCheckpoint(const std::string& app,
                                                        const std::string& key,
                                                        const checkpoint::Ownership& ownership) {
  return Mutate(app, key, CommitCheckpointChange(key, ownership));
}

}  // namespace eddy::lease
