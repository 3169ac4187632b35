#pragma once
// KinesisClientRecord: one record as a processor receives it — a stream record, or one
// sub-record of a KPL aggregate (then several share a sequence number and differ in
// sub-sequence number).

#include <cstdint>
#include <string>

#include "checkpoint/extended_sequence_number.h"

namespace eddy::kcl {

struct KinesisClientRecord {
  std::string shard_id;
  std::string sequence_number;
  uint64_t sub_sequence_number = 0;
  std::string partition_key;
  std::string data;
  int64_t approximate_arrival_timestamp_millis = 0;

  // The position a checkpoint at this record records.
  checkpoint::ExtendedSequenceNumber position() const {
    absl::StatusOr<checkpoint::ExtendedSequenceNumber> p =
        checkpoint::ExtendedSequenceNumber::Of(sequence_number, sub_sequence_number);
    return p.ok() ? *p : checkpoint::ExtendedSequenceNumber::TrimHorizon();
  }
};

}  // namespace eddy::kcl
