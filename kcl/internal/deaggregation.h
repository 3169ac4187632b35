#pragma once
// De-aggregation: how one stream record becomes the records a processor sees. A KPL
// aggregate becomes its user records — same sequence number, sub-sequence numbers 0..n−1,
// each with its own partition key; anything else (including a malformed aggregate) is
// passed through unchanged as sub-sequence 0.
//
// An aggregate is never dropped whole. A user record whose hash key lies outside the
// shard's range — aggregators such as AWS's aws-kinesis-agg pack many keys into one Kinesis
// record, routed by the record's own key; a KPL with a stale shard map puts one on the
// wrong side of a split — is delivered by default (it exists nowhere else unless the
// producer re-sent it, and at-least-once allows that duplicate) or, with
// OutOfRangeUserRecords::kDrop, dropped alone as the Java KCL does.

#include <string>
#include <vector>

#include "client/stream_connection.h"
#include "common/hash_key.h"
#include "kcl/config.h"
#include "kcl/record.h"

namespace eddy::kcl::internal {

// Appends what `record` of shard `shard_id` (owning `range`) delivers to `out` (a plain
// record's data is moved, not copied). Returns how many of its user records lay outside the
// range (delivered or dropped by `policy`).
int AppendUserRecords(client::StreamRecord&& record, const std::string& shard_id,
                      const common::HashKeyRange& range, OutOfRangeUserRecords policy,
                      std::vector<KinesisClientRecord>* out);

}  // namespace eddy::kcl::internal
