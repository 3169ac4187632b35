#include "lease/lease_codec.h"

#include "common/errors.h"
#include "common/varint.h"

namespace eddy::lease {
namespace {

constexpr char kVersion1 = 1;  // without handoff_to
constexpr char kVersion = 2;

using common::PutVarint;

void PutString(std::string* out, absl::string_view value) {
  PutVarint(out, value.size());
  out->append(value.data(), value.size());
}

void PutHashKey(std::string* out, common::HashKey key) {
  for (int shift = 120; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>(static_cast<uint8_t>(key >> shift)));
  }
}

// Reads fields in order; any overrun sets `ok` false and yields zero values.
class Reader {
 public:
  explicit Reader(absl::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }
  uint64_t Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return Fail();
      const uint8_t byte = static_cast<uint8_t>(in_[0]);
      in_.remove_prefix(1);
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return Fail();
  }
  std::string String() {
    const uint64_t size = Varint();
    if (!ok_ || size > in_.size()) return Fail(), std::string();
    std::string value(in_.substr(0, size));
    in_.remove_prefix(size);
    return value;
  }
  common::HashKey HashKey() {
    if (in_.size() < 16) return Fail();
    common::HashKey key = 0;
    for (int i = 0; i < 16; ++i) key = (key << 8) | static_cast<uint8_t>(in_[i]);
    in_.remove_prefix(16);
    return key;
  }
  uint8_t Byte() {
    if (in_.empty()) return static_cast<uint8_t>(Fail());
    const uint8_t byte = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return byte;
  }

 private:
  uint64_t Fail() {
    ok_ = false;
    return 0;
  }
  absl::string_view in_;
  bool ok_ = true;
};

}  // namespace

bool Lease::operator==(const Lease& o) const {
  return key == o.key && owner == o.owner && counter == o.counter && epoch == o.epoch &&
         checkpoint == o.checkpoint && checkpoint_state == o.checkpoint_state &&
         pending_checkpoint == o.pending_checkpoint &&
         pending_checkpoint_state == o.pending_checkpoint_state &&
         parent_shard_ids == o.parent_shard_ids && child_shard_ids == o.child_shard_ids &&
         hash_range == o.hash_range &&
         owner_switches_since_checkpoint == o.owner_switches_since_checkpoint &&
         handoff_to == o.handoff_to;
}

std::string EncodeLease(const Lease& lease) {
  std::string out(1, kVersion);
  PutString(&out, lease.key);
  PutString(&out, lease.owner);
  PutVarint(&out, lease.counter);
  PutVarint(&out, lease.epoch);
  PutString(&out, lease.checkpoint.ToString());
  PutString(&out, lease.checkpoint_state);
  out.push_back(lease.pending_checkpoint.has_value() ? 1 : 0);
  PutString(&out, lease.pending_checkpoint ? lease.pending_checkpoint->ToString() : "");
  PutString(&out, lease.pending_checkpoint_state);
  PutVarint(&out, lease.parent_shard_ids.size());
  for (const std::string& id : lease.parent_shard_ids) PutString(&out, id);
  PutVarint(&out, lease.child_shard_ids.size());
  for (const std::string& id : lease.child_shard_ids) PutString(&out, id);
  PutHashKey(&out, lease.hash_range.start);
  PutHashKey(&out, lease.hash_range.end);
  PutVarint(&out, lease.owner_switches_since_checkpoint);
  PutString(&out, lease.handoff_to);
  return out;
}

absl::StatusOr<Lease> DecodeLease(absl::string_view bytes) {
  auto corrupt = [] { return common::InternalFailure("coordinator: malformed lease record"); };
  if (bytes.empty() || (bytes[0] != kVersion && bytes[0] != kVersion1)) return corrupt();
  const bool has_handoff = bytes[0] == kVersion;
  Reader in(bytes.substr(1));
  Lease lease;
  lease.key = in.String();
  lease.owner = in.String();
  lease.counter = in.Varint();
  lease.epoch = in.Varint();
  absl::StatusOr<checkpoint::ExtendedSequenceNumber> position =
      checkpoint::ExtendedSequenceNumber::Parse(in.String());
  lease.checkpoint_state = in.String();
  const bool has_pending = in.Byte() != 0;
  const std::string pending = in.String();
  lease.pending_checkpoint_state = in.String();
  const uint64_t parents = in.Varint();
  for (uint64_t i = 0; i < parents && in.ok(); ++i) lease.parent_shard_ids.push_back(in.String());
  const uint64_t children = in.Varint();
  for (uint64_t i = 0; i < children && in.ok(); ++i) lease.child_shard_ids.push_back(in.String());
  lease.hash_range.start = in.HashKey();
  lease.hash_range.end = in.HashKey();
  lease.owner_switches_since_checkpoint = in.Varint();
  if (has_handoff) lease.handoff_to = in.String();
  if (!in.ok() || !in.done() || !position.ok()) return corrupt();
  lease.checkpoint = *position;
  if (has_pending) {
    absl::StatusOr<checkpoint::ExtendedSequenceNumber> parsed =
        checkpoint::ExtendedSequenceNumber::Parse(pending);
    if (!parsed.ok()) return corrupt();
    lease.pending_checkpoint = *parsed;
  }
  return lease;
}

}  // namespace eddy::lease
