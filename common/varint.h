#pragma once
// Base-128 varints, as protobuf writes them (little-endian groups of 7 bits, high bit set
// on all but the last byte): the lease codec and the fan-out event encoder both write them.

#include <cstddef>
#include <cstdint>
#include <string>

namespace eddy::common {

inline void PutVarint(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

inline size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

}  // namespace eddy::common
