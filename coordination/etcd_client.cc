#include "coordination/etcd_client.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/channel.h"
#include "common/errors.h"

namespace eddy::coordination {
namespace {

using namespace etcdserverpb;  // NOLINT: this file speaks etcd's API only

// etcd refuses a request on a member that has no leader when this is set
// (rpctypes.MetadataRequireLeaderKey).
constexpr char kRequireLeader[] = "hasleader";

absl::Status FromEtcd(const grpc::Status& status, const std::string& endpoint) {
  auto code = static_cast<absl::StatusCode>(status.error_code());
  // etcd answers UNKNOWN "context deadline exceeded" (or "canceled") when the server-side
  // deadline ran out: the outcome is unknown, and worth trying again — as UNAVAILABLE is.
  if (code == absl::StatusCode::kUnknown || code == absl::StatusCode::kCancelled) {
    code = absl::StatusCode::kUnavailable;
  }
  return absl::Status(code, absl::StrCat("etcd ", endpoint, ": ", status.error_message()));
}

bool ReadOnly(const TxnRequest& request) {
  for (const auto* ops : {&request.success(), &request.failure()}) {
    for (const RequestOp& op : *ops) {
      if (!op.has_request_range()) return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseEtcdEndpoints(const std::string& url) {
  std::string list = url;
  if (absl::StartsWith(list, "etcd://")) list = list.substr(7);
  std::vector<std::string> endpoints;
  for (absl::string_view part : absl::StrSplit(list, ',')) {
    const size_t colon = part.rfind(':');
    const bool has_port =
        colon != absl::string_view::npos && colon > 0 && colon + 1 < part.size() &&
        part.substr(colon + 1).find_first_not_of("0123456789") == absl::string_view::npos;
    if (!has_port || part.find('/') != absl::string_view::npos) {
      return common::InvalidArgument(absl::StrCat("etcd endpoint '", part, "' in '", url,
                                                  "' is not HOST:PORT (etcd://h1:2379,h2:2379)."));
    }
    endpoints.emplace_back(part);
  }
  return endpoints;
}

bool Ambiguous(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status);
}

std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    if (static_cast<unsigned char>(prefix.back()) < 0xFF) {
      prefix.back() = static_cast<char>(prefix.back() + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');
}

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

EtcdClient::EtcdClient(EtcdClientOptions options) : options_(std::move(options)) {
  for (const std::string& endpoint : options_.endpoints) {
    Member member;
    member.channel = client::MakeChannel(endpoint);
    member.kv = KV::NewStub(member.channel);
    member.lease = Lease::NewStub(member.channel);
    member.watch = Watch::NewStub(member.channel);
    members_.push_back(std::move(member));
  }
}

std::unique_ptr<grpc::ClientContext> EtcdClient::StreamContext() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata(kRequireLeader, "true");
  return context;
}

void EtcdClient::FailOver(size_t from) {
  size_t expected = from;
  current_.compare_exchange_strong(expected, (from + 1) % members_.size());
}

Watch::Stub& EtcdClient::watch_stub() { return *members_[current_.load()].watch; }

template <typename Response, typename Call>
absl::StatusOr<Response> EtcdClient::Invoke(bool retry, const Call& call) {
  const auto deadline = std::chrono::system_clock::now() + options_.timeout;
  // Each member gets a fair share of the time when the call may move on: one that hangs
  // must not eat the whole deadline.
  const auto share = options_.timeout / (retry ? static_cast<int>(members_.size()) : 1);
  absl::Status last;
  for (size_t attempt = 0; attempt < (retry ? members_.size() : 1); ++attempt) {
    const size_t index = current_.load();
    grpc::ClientContext context;
    context.AddMetadata(kRequireLeader, "true");
    context.set_deadline(std::min(deadline, std::chrono::system_clock::now() + share));
    Response response;
    const grpc::Status status = call(members_[index], &context, &response);
    if (status.ok()) return response;
    last = FromEtcd(status, options_.endpoints[index]);
    if (!Ambiguous(last)) return last;  // the member answered: another would say the same
    FailOver(index);
    if (std::chrono::system_clock::now() >= deadline) break;
  }
  return last;
}

absl::StatusOr<RangeResponse> EtcdClient::Range(const RangeRequest& request) {
  return Invoke<RangeResponse>(true, [&](Member& m, grpc::ClientContext* c, RangeResponse* r) {
    return m.kv->Range(c, request, r);
  });
}

absl::StatusOr<TxnResponse> EtcdClient::Txn(const TxnRequest& request) {
  return Invoke<TxnResponse>(
      ReadOnly(request),
      [&](Member& m, grpc::ClientContext* c, TxnResponse* r) { return m.kv->Txn(c, request, r); });
}

absl::StatusOr<LeaseGrantResponse> EtcdClient::LeaseGrant(int64_t ttl_seconds) {
  LeaseGrantRequest request;
  request.set_ttl(ttl_seconds);
  // A grant that may have landed leaves an unused lease that expires by itself: safe to
  // ask again.
  absl::StatusOr<LeaseGrantResponse> granted = Invoke<LeaseGrantResponse>(
      true, [&](Member& m, grpc::ClientContext* c, LeaseGrantResponse* r) {
        return m.lease->LeaseGrant(c, request, r);
      });
  if (granted.ok() && !granted->error().empty()) {
    return common::InternalFailure(absl::StrCat("etcd lease grant: ", granted->error()));
  }
  return granted;
}

absl::Status EtcdClient::LeaseRevoke(int64_t id) {
  LeaseRevokeRequest request;
  request.set_id(id);
  return Invoke<LeaseRevokeResponse>(
             true, [&](Member& m, grpc::ClientContext* c,
                       LeaseRevokeResponse* r) { return m.lease->LeaseRevoke(c, request, r); })
      .status();
}

absl::StatusOr<LeaseKeepAliveResponse> EtcdClient::KeepAliveOnce(int64_t id) {
  // A stream per round trip: its deadline bounds a member that stopped answering.
  return Invoke<LeaseKeepAliveResponse>(
      true, [&](Member& m, grpc::ClientContext* c, LeaseKeepAliveResponse* r) {
        auto stream = m.lease->LeaseKeepAlive(c);
        LeaseKeepAliveRequest request;
        request.set_id(id);
        if (!stream->Write(request) || !stream->Read(r)) {
          stream->WritesDone();
          grpc::Status status = stream->Finish();
          return status.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                            "keepalive stream closed without an answer")
                             : status;
        }
        stream->WritesDone();
        c->TryCancel();  // the answer is in: do not wait for the server to close
        stream->Finish();
        return grpc::Status::OK;
      });
}

}  // namespace eddy::coordination
