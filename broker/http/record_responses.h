#pragma once
// The responses whose size is their records — GetRecords and PutRecords — in both forms:
// the Document (CBOR, and the reference) and, for JSON, the same bytes written directly
// (json_writer.h): building a Document per record and dumping it cost more than the rest of
// the call. Tests hold the two forms to the same bytes.

#include <string>
#include <vector>

#include "broker/broker_types.h"
#include "broker/http/document.h"

namespace eddy::broker::http {

Document GetRecordsDocument(const GetRecordsResult& result, BodyEncoding encoding);
// GetRecordsDocument(result, kJson) serialized, without building it.
std::string GetRecordsJson(const GetRecordsResult& result);

Document PutRecordsDocument(const std::vector<PutOutcome>& outcomes);
// PutRecordsDocument(outcomes) serialized as JSON, without building it.
std::string PutRecordsJson(const std::vector<PutOutcome>& outcomes);

}  // namespace eddy::broker::http
