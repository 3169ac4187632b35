#include "common/base64.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace eddy::common {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

void AppendBase64(absl::string_view bytes, std::string* out) {
  // Two output characters per 12 bits: half the lookups of one per 6 bits.
  struct Pair {
    char chars[2];
  };
  static const auto kPairs = [] {
    std::array<Pair, 4096> pairs;
    for (size_t bits = 0; bits < pairs.size(); ++bits) {
      pairs[bits] = Pair{{kAlphabet[bits >> 6], kAlphabet[bits & 63]}};
    }
    return pairs;
  }();
  const size_t start = out->size();
  out->resize(start + (bytes.size() + 2) / 3 * 4);
  char* to = out->data() + start;
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t bits = uint32_t{in[i]} << 16 | uint32_t{in[i + 1]} << 8 | in[i + 2];
    std::memcpy(to, kPairs[bits >> 12].chars, 2);
    std::memcpy(to + 2, kPairs[bits & 4095].chars, 2);
    to += 4;
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const uint32_t bits = uint32_t{in[i]} << 16 | (two ? uint32_t{in[i + 1]} << 8 : 0);
    *to++ = kAlphabet[bits >> 18];
    *to++ = kAlphabet[(bits >> 12) & 63];
    *to++ = two ? kAlphabet[(bits >> 6) & 63] : '=';
    *to = '=';
  }
}

bool DecodeBase64Into(absl::string_view text, std::string* out) {
  static const auto kValues = [] {
    std::array<uint8_t, 256> values;
    values.fill(0xff);
    for (uint8_t i = 0; i < 64; ++i) values[static_cast<unsigned char>(kAlphabet[i])] = i;
    return values;
  }();
  size_t length = text.size();
  size_t padding = 0;
  while (padding < 2 && length > 0 && text[length - 1] == '=') {
    --length;
    ++padding;
  }
  if (length % 4 == 1 || (padding > 0 && (length + padding) % 4 != 0)) return false;
  out->resize(length / 4 * 3 + (length % 4 == 0 ? 0 : length % 4 - 1));
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  char* to = out->data();
  size_t i = 0;
  for (; i + 4 <= length; i += 4) {
    const uint32_t a = kValues[in[i]], b = kValues[in[i + 1]], c = kValues[in[i + 2]],
                   d = kValues[in[i + 3]];
    if ((a | b | c | d) & 0x80) return false;
    const uint32_t bits = a << 18 | b << 12 | c << 6 | d;
    *to++ = static_cast<char>(bits >> 16);
    *to++ = static_cast<char>(bits >> 8);
    *to++ = static_cast<char>(bits);
  }
  if (i < length) {  // 2 or 3 characters left
    uint32_t bits = 0;
    const size_t left = length - i;
    for (size_t k = 0; k < left; ++k) {
      const uint32_t v = kValues[in[i + k]];
      if (v & 0x80) return false;
      bits |= v << (18 - 6 * k);
    }
    *to++ = static_cast<char>(bits >> 16);
    if (left == 3) *to = static_cast<char>(bits >> 8);
  }
  return true;
}

std::optional<std::string> DecodeBase64(absl::string_view text) {
  std::string out;
  if (!DecodeBase64Into(text, &out)) return std::nullopt;
  return out;
}

}  // namespace eddy::common
