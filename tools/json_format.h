#pragma once
// Broker responses as the JSON `aws kinesis` prints: PascalCase field names, base64 Data,
// ISO 8601 timestamps, absent fields left out.

#include "eddy/v1/stream.pb.h"
#include "tools/cli_support.h"

namespace eddy::tools {

Json ShardJson(const v1::Shard& shard);
Json ChildShardJson(const v1::ChildShard& child);
Json StreamDescriptionJson(const v1::StreamDescription& description);
Json StreamSummaryJson(const v1::StreamDescriptionSummary& summary);
Json RecordJson(const v1::Record& record);
Json GetRecordsJson(const v1::GetRecordsResponse& response);
Json PutRecordsJson(const v1::PutRecordsResponse& response);
const char* StreamStatusName(v1::StreamStatus status);
const char* StreamModeName(v1::StreamMode mode);

}  // namespace eddy::tools
