#include "broker/event_encoder.h"

#include <vector>

#include "broker/sequence_number.h"
#include "common/hash_key.h"
#include "common/varint.h"
#include "eddy/v1/stream.pb.h"

namespace eddy::broker {
namespace {

// Protobuf wire format: tag = field << 3 | type; type 0 varint, 2 length-delimited.
constexpr uint8_t kVarint = 0;
constexpr uint8_t kLengthDelimited = 2;
// Data smaller than this is copied into the surrounding bytes (a slice of its own costs
// more than the copy).
constexpr size_t kZeroCopyMinBytes = 256;

using common::PutVarint;
using common::VarintSize;

void PutTag(std::string* out, int field, uint8_t type) {
  PutVarint(out, static_cast<uint64_t>(field) << 3 | type);
}

void PutBytes(std::string* out, int field, absl::string_view bytes) {
  PutTag(out, field, kLengthDelimited);
  PutVarint(out, bytes.size());
  out->append(bytes.data(), bytes.size());
}

size_t BytesFieldSize(size_t length) { return 1 + VarintSize(length) + length; }

// Builds the slices: small pieces gathered in `pending`, record data as zero-copy slices.
class SliceWriter {
 public:
  std::string& bytes() { return pending_; }

  void AddRecordData(const SharedRecord& record) {
    const std::string& data = record->data;
    if (data.size() < kZeroCopyMinBytes) {
      pending_.append(data);
      return;
    }
    Flush();
    // The slice holds a reference to the record until gRPC lets go of it.
    auto* owner = new SharedRecord(record);
    slices_.emplace_back(
        const_cast<char*>(data.data()), data.size(),
        [](void* p) { delete static_cast<SharedRecord*>(p); }, owner);
  }

  grpc::ByteBuffer Finish() {
    Flush();
    return grpc::ByteBuffer(slices_.data(), slices_.size());
  }

 private:
  void Flush() {
    if (pending_.empty()) return;
    slices_.emplace_back(pending_);
    pending_.clear();
  }

  std::string pending_;
  std::vector<grpc::Slice> slices_;
};

}  // namespace

grpc::ByteBuffer EncodeEvent(const SubscriptionEvent& event) {
  SliceWriter writer;
  std::string& out = writer.bytes();
  out.reserve(256);
  for (const SharedRecord& record : event.records) {
    const std::string sequence =
        FormatSequenceNumber(SequenceNumber{event.stream_tag, event.shard_index, record->counter});
    const uint64_t arrival = static_cast<uint64_t>(MillisOfCounter(record->counter));
    // Record: 1 sequence_number, 2 arrival, 4 partition_key, 5 encryption_type, 3 data —
    // data last, so it can follow as its own slice.
    const size_t record_size = BytesFieldSize(sequence.size()) + 1 + VarintSize(arrival) +
                               BytesFieldSize(record->partition_key.size()) + BytesFieldSize(4) +
                               BytesFieldSize(record->data.size());
    PutTag(&out, v1::SubscribeToShardEvent::kRecordsFieldNumber, kLengthDelimited);
    PutVarint(&out, record_size);
    PutBytes(&out, v1::Record::kSequenceNumberFieldNumber, sequence);
    PutTag(&out, v1::Record::kApproximateArrivalTimestampMillisFieldNumber, kVarint);
    PutVarint(&out, arrival);
    PutBytes(&out, v1::Record::kPartitionKeyFieldNumber, record->partition_key);
    PutBytes(&out, v1::Record::kEncryptionTypeFieldNumber, "NONE");
    PutTag(&out, v1::Record::kDataFieldNumber, kLengthDelimited);
    PutVarint(&out, record->data.size());
    writer.AddRecordData(record);
  }
  // The rest is small: the message's own encoder, appended (fields may come in any order).
  v1::SubscribeToShardEvent rest;
  if (event.continuation_counter != 0) {
    rest.set_continuation_sequence_number(FormatSequenceNumber(
        SequenceNumber{event.stream_tag, event.shard_index, event.continuation_counter}));
  }
  rest.set_millis_behind_latest(event.millis_behind_latest);
  for (const ChildShardInfo& child : event.child_shards) {
    v1::ChildShard* out_child = rest.add_child_shards();
    out_child->set_shard_id(child.shard_id);
    for (const std::string& parent : child.parent_shards) out_child->add_parent_shards(parent);
    out_child->mutable_hash_key_range()->set_starting_hash_key(
        common::FormatUint128(child.hash_range.start));
    out_child->mutable_hash_key_range()->set_ending_hash_key(
        common::FormatUint128(child.hash_range.end));
  }
  rest.AppendToString(&out);
  return writer.Finish();
}

}  // namespace eddy::broker
