#pragma once
// LeaseTable: the leases of one consumer application, where every mutation is a
// compare-and-set that returns whether it won (losing a race is a value, not an error),
// as the Java KCL does against DynamoDB.
//
//   operation        condition                        effect
//   CreateIfAbsent   key absent                       insert
//   Take             counter = expected               owner = taker, counter+1, epoch+1,
//                                                     owner switches+1 if the owner changed,
//                                                     handoff_to cleared
//   Renew            owner and counter = expected     counter+1
//   Evict            owner = expected                 owner cleared, counter+1, epoch+1,
//                                                     handoff_to cleared
//   UpdateLineage    owner = expected (empty: none)   child shard ids set
//   RequestHandoff   owner = expected                 handoff_to = requester
//   Delete           key present                      removed
//
// Errors (not races) come back as a status: unknown application (ResourceNotFound),
// malformed keys or owners (InvalidArgument), storage failures (InternalFailure).
// Implementations are thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lease/lease.h"

namespace eddy::lease {

class LeaseTable {
 public:
  virtual ~LeaseTable() = default;

  // The application this table belongs to.
  virtual const std::string& application() const = 0;

  virtual absl::StatusOr<bool> CreateIfAbsent(const Lease& lease) = 0;
  // The lease, or nullopt if there is none for `key`.
  virtual absl::StatusOr<std::optional<Lease>> Get(const std::string& key) = 0;
  // Every lease of the application, in key order.
  virtual absl::StatusOr<std::vector<Lease>> List() = 0;
  virtual absl::StatusOr<bool> Take(const std::string& key, uint64_t expected_counter,
                                    const std::string& new_owner) = 0;
  virtual absl::StatusOr<bool> Renew(const std::string& key, const std::string& expected_owner,
                                     uint64_t expected_counter) = 0;
  virtual absl::StatusOr<bool> Evict(const std::string& key,
                                     const std::string& expected_owner) = 0;
  virtual absl::StatusOr<bool> UpdateLineage(const std::string& key,
                                             const std::string& expected_owner,
                                             const std::vector<std::string>& child_shard_ids) = 0;
  virtual absl::StatusOr<bool> RequestHandoff(const std::string& key,
                                              const std::string& expected_owner,
                                              const std::string& requester) = 0;
  virtual absl::StatusOr<bool> Delete(const std::string& key) = 0;
};

}  // namespace eddy::lease
