#include "bench/eddy_bench/stream_system.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace eddy::bench {

bool SplitHostPort(const std::string& endpoint, std::string* host, int* port) {
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos) return false;
  *host = endpoint.substr(0, colon);
  return absl::SimpleAtoi(endpoint.substr(colon + 1), port);
}

absl::StatusOr<std::unique_ptr<StreamSystem>> MakeStreamSystem(const std::string& kind,
                                                               const std::string& endpoint) {
  std::string host;
  int port = 0;
  if (!SplitHostPort(endpoint, &host, &port)) {
    return absl::InvalidArgumentError(absl::StrCat("endpoint must be host:port: ", endpoint));
  }
  if (kind == "eddy") return MakeEddySystem(endpoint);
  if (kind == "redis") return MakeRedisSystem(endpoint);
  if (kind == "nats") return MakeNatsSystem(endpoint);
  if (kind == "kinesalite" || kind == "kinesis-poll") return MakeKinesisHttpSystem(endpoint, false);
  if (kind == "kinesis-push") return MakeKinesisHttpSystem(endpoint, true);
  return absl::InvalidArgumentError(absl::StrCat("unknown system ", kind));
}

}  // namespace eddy::bench
