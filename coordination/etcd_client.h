#pragma once
// EtcdClient: the etcd v3 API over gRPC (proto/etcd/, the project's own copy of etcd's
// protos), for the etcd coordinator. Every call carries etcd's `hasleader` metadata, so a
// member cut off from its cluster answers UNAVAILABLE at once instead of hanging or
// serving stale data; reads are linearizable.
//
// Endpoints are failed over on the client side: a call that finds its member unreachable,
// leaderless or slow moves the client to the next endpoint. Reads (Range, read-only Txn)
// are then tried again there, within the call's deadline; a write is sent exactly once —
// an UNAVAILABLE or DEADLINE_EXCEEDED write may or may not have been applied, and the
// caller resolves that by reading (see Ambiguous()), never by sending it again blind.
//
// Thread-safe; streams (watch, keepalive) each use a context of their own.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace eddy::coordination {

struct EtcdClientOptions {
  std::vector<std::string> endpoints;            // host:port, at least one
  std::chrono::microseconds timeout{2'000'000};  // per call, every attempt included
};

// "etcd://h1:2379,h2:2379" (the scheme is optional) → {"h1:2379", "h2:2379"};
// InvalidArgument naming what is wrong otherwise.
absl::StatusOr<std::vector<std::string>> ParseEtcdEndpoints(const std::string& url);

// Whether a failed write may have been applied all the same.
bool Ambiguous(const absl::Status& status);

// The end of the range of keys starting with `prefix` (etcd's convention: last byte + 1).
std::string PrefixEnd(std::string prefix);

// This host's steady clock in milliseconds: what session validity is judged on.
int64_t SteadyMillis();

class EtcdClient {
 public:
  explicit EtcdClient(EtcdClientOptions options);

  absl::StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request);
  // A Txn whose ops are all reads is retried like Range; any other is sent once.
  absl::StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request);
  absl::StatusOr<etcdserverpb::LeaseGrantResponse> LeaseGrant(int64_t ttl_seconds);
  absl::Status LeaseRevoke(int64_t id);
  // One keepalive round trip for lease `id`; the answer's TTL is 0 once the lease is gone.
  absl::StatusOr<etcdserverpb::LeaseKeepAliveResponse> KeepAliveOnce(int64_t id);

  // Stubs and context for long-lived streams, on the current endpoint.
  etcdserverpb::Watch::Stub& watch_stub();
  // A context with the `hasleader` metadata (and no deadline: streams live long).
  static std::unique_ptr<grpc::ClientContext> StreamContext();
  // Moves to the next endpoint (a stream on this one failed).
  void FailOver(size_t from);
  size_t current() const { return current_.load(); }
  std::chrono::microseconds timeout() const { return options_.timeout; }
  const std::vector<std::string>& endpoints() const { return options_.endpoints; }

 private:
  struct Member {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
    std::unique_ptr<etcdserverpb::Lease::Stub> lease;
    std::unique_ptr<etcdserverpb::Watch::Stub> watch;
  };

  // Runs `call` on the current member; with `retry`, on the others too until it answers
  // or the deadline passes.
  template <typename Response, typename Call>
  absl::StatusOr<Response> Invoke(bool retry, const Call& call);

  const EtcdClientOptions options_;
  std::vector<Member> members_;
  std::atomic<size_t> current_{0};
};

}  // namespace eddy::coordination
