#pragma once
// De-aggregation: how one stream record becomes the records a processor sees. A KPL
// aggregate becomes its user records — same sequence number, sub-sequence numbers 0..n−1,
// each with its own partition key; anything else (including a malformed aggregate) is
// passed through unchanged as sub-sequence 0.
//
// An aggregate with any user record whose hash key lies outside the shard's range is
// dropped whole and logged, as the Java KCL does: it was routed by a stale shard map
// around a reshard, and its records belong to another shard (`eddy produce --aggregate`
// re-sends such aggregates, so nothing it wrote is lost).

#include <string>
#include <vector>

#include "common/hash_key.h"
#include "eddy/v1/stream.pb.h"
#include "kcl/record.h"

namespace eddy::kcl::internal {

// Appends what `record` of shard `shard_id` (owning `range`) delivers to `out`. Returns
// false when it was dropped for lying outside the range.
bool AppendUserRecords(const v1::Record& record, const std::string& shard_id,
                       const common::HashKeyRange& range, std::vector<KinesisClientRecord>* out);

}  // namespace eddy::kcl::internal
