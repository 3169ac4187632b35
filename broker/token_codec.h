#pragma once
// Opaque, tamper-evident tokens (shard iterators, list pagination tokens).
//
// A token is base64url(kind ‖ payload ‖ HMAC-SHA256(key, kind ‖ payload)[0..16)). The key
// is the broker's secret, created once and kept in its database, so tokens survive
// restarts; editing any byte, or forging a token without the key, fails verification.
// Expiry is the caller's business: payloads carry their issue time.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eddy::broker {

// Thread-safe after construction (immutable).
class TokenCodec {
 public:
  explicit TokenCodec(std::string secret_key) : key_(std::move(secret_key)) {}

  // Seals `payload` as a token of `kind` (a letter per use, so that a token of one kind is
  // never accepted as another).
  std::string Seal(char kind, absl::string_view payload) const;

  // The payload of `token` if it is an intact token of `kind`; otherwise InvalidArgument
  // naming `field`.
  absl::StatusOr<std::string> Open(char kind, absl::string_view token,
                                   absl::string_view field) const;

 private:
  std::string Mac(absl::string_view message) const;
  const std::string key_;
};

// Fixed-width big-endian integers for token payloads and storage keys.
void AppendBigEndian64(std::string* out, uint64_t value);
void AppendBigEndian32(std::string* out, uint32_t value);
uint64_t ReadBigEndian64(absl::string_view in);
uint32_t ReadBigEndian32(absl::string_view in);

}  // namespace eddy::broker
