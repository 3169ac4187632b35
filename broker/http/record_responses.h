#pragma once
// The responses whose size is their records — GetRecords and PutRecords — in both forms:
// the Document (CBOR, and the reference) and, for JSON, the same bytes written directly
// (json_writer.h): building a Document per record and dumping it cost more than the rest of
// the call. Tests hold the two forms to the same bytes.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "broker/broker_types.h"
#include "broker/http/actions.h"
#include "broker/http/document.h"

namespace eddy::broker::http {

// The answers, in the request's encoding: written directly for JSON, the Document for CBOR.
ActionResponse GetRecordsResponse(const GetRecordsResult& result, BodyEncoding encoding);
ActionResponse PutRecordsResponse(const std::vector<PutOutcome>& outcomes, BodyEncoding encoding);

// The two forms, each held to the other by the tests.
Document GetRecordsDocument(const GetRecordsResult& result, BodyEncoding encoding);
// GetRecordsDocument(result, kJson) serialized, without building it.
std::string GetRecordsJson(const GetRecordsResult& result);

Document PutRecordsDocument(const std::vector<PutOutcome>& outcomes);
// PutRecordsDocument(outcomes) serialized as JSON, without building it.
std::string PutRecordsJson(const std::vector<PutOutcome>& outcomes);

// Pieces shared with the SubscribeToShard event, which carries records the same way.
// The opening of a records object: `{`, or `{"ChildShards":[...],` when there are children
// (the name sorts first in both).
void AppendJsonRecordsObjectOpening(const std::vector<ChildShardInfo>& children, std::string* out);
// One element of a Records array, members sorted by name as nlohmann writes them.
void AppendJsonRecord(int64_t arrival_millis, absl::string_view data,
                      absl::string_view partition_key, absl::string_view sequence_number,
                      std::string* out);

}  // namespace eddy::broker::http
