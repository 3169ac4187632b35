#include "broker/token_codec.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/errors.h"

namespace eddy::broker {
namespace {
constexpr size_t kMacBytes = 16;
}  // namespace

std::string TokenCodec::Mac(absl::string_view message) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  return std::string(reinterpret_cast<const char*>(mac), kMacBytes);
}

std::string TokenCodec::Seal(char kind, absl::string_view payload) const {
  std::string body(1, kind);
  body.append(payload.data(), payload.size());
  body.append(Mac(body));
  return absl::WebSafeBase64Escape(body);
}

absl::StatusOr<std::string> TokenCodec::Open(char kind, absl::string_view token,
                                             absl::string_view field) const {
  std::string body;
  if (token.size() > 1024 || !absl::WebSafeBase64Unescape(token, &body) ||
      body.size() < 1 + kMacBytes || body[0] != kind) {
    return common::InvalidArgument(
        absl::StrCat("Invalid ", field, ": not a token this broker issued."));
  }
  const absl::string_view signed_part(body.data(), body.size() - kMacBytes);
  const std::string expected = Mac(signed_part);
  if (CRYPTO_memcmp(expected.data(), body.data() + signed_part.size(), kMacBytes) != 0) {
    return common::InvalidArgument(
        absl::StrCat("Invalid ", field, ": the token was altered or not issued by this broker."));
  }
  return std::string(signed_part.substr(1));
}

void AppendBigEndian64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}
void AppendBigEndian32(std::string* out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}
uint64_t ReadBigEndian64(absl::string_view in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}
uint32_t ReadBigEndian32(absl::string_view in) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

}  // namespace eddy::broker
