#pragma once
// Text that exercises a JSON writer's escaping, for the tests that hold the direct writers to
// nlohmann's bytes: quotes, backslashes, control characters, multi-byte UTF-8 up to
// U+10FFFF, and bytes that are not UTF-8 at all (a lone lead byte, a stray continuation, an
// encoded surrogate, overlong forms, a value past U+10FFFF, a lead byte above F4).

#include <random>
#include <string>
#include <vector>

namespace eddy::broker::http::testing {

inline std::string RandomJsonText(std::mt19937_64& random) {
  static const std::vector<std::string> kPieces = {
      "k", "\"", "\\", "\n", "\t", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xf0\x9f\x98\x80", "/",
      "\xf4\x8f\xbf\xbf",  // U+10FFFF, the largest code point
      // not UTF-8:
      "\xff", "\xc3", "\x80", "\xed\xa0\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xf4\x90\x80\x80",
      "\xf5\x80\x80\x80"};
  std::string text;
  const int pieces = 1 + static_cast<int>(random() % 5);
  for (int p = 0; p < pieces; ++p) text += kPieces[random() % kPieces.size()];
  return text;
}

}  // namespace eddy::broker::http::testing
