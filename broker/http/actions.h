#pragma once
// The Kinesis actions of the HTTP API, each a translation: request members → the
// StreamBroker call → response members, in AWS's names, types and defaults. No policy
// lives here — validation and semantics are the core's, as for the gRPC front-end —
// except what only the wire can tell: a member's type, and whether it was sent at all
// (an absent Limit means "the default", a Limit of 0 is refused).

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "broker/http/document.h"
#include "broker/stream_broker.h"

namespace eddy::broker::http {

// What an action answers: members, serialized in the request's encoding — or, for the
// record-sized answers (record_responses.h), the body already serialized in it.
struct ActionResponse {
  ActionResponse(Document members) : document(std::move(members)) {}  // NOLINT: implicit
  static ActionResponse Serialized(std::string bytes) {
    ActionResponse response{Document()};
    response.body = std::move(bytes);
    return response;
  }
  Document document;
  std::optional<std::string> body;
};
using ActionReply = std::function<void(absl::StatusOr<ActionResponse>)>;

// An action that answers at once.
using SyncAction = absl::StatusOr<ActionResponse> (*)(StreamBroker& broker,
                                                      const FieldReader& request);
// An action that answers through `reply`, later and on another thread (puts: once durable).
using AsyncAction = void (*)(StreamBroker& broker, const FieldReader& request, ActionReply reply);

struct ActionEntry {
  SyncAction sync = nullptr;
  AsyncAction async = nullptr;
  // Part of the Kinesis API but not served by Eddy: answered UnknownOperationException
  // with a message that says so.
  bool not_implemented = false;
  // SubscribeToShard: streamed (subscribe_exchange.h).
  bool streaming = false;
};

// The entry for `action` ("CreateStream"), or null for a name Kinesis does not have.
const ActionEntry* FindAction(const std::string& action);

// Members every stream-addressed action shares.
absl::StatusOr<StreamRef> StreamRefOf(const FieldReader& request);
// A required string member: MissingMember(`constraint_name`) when absent.
absl::StatusOr<std::string> RequiredString(const FieldReader& request, absl::string_view member,
                                           absl::string_view constraint_name);

// Response pieces shared by several actions.
Document ShardDocument(const ShardInfo& shard);
Document HashKeyRangeDocument(const common::HashKeyRange& range);
Document ChildShardsDocument(const std::vector<ChildShardInfo>& children);
Document ConsumerDocument(const ConsumerInfo& consumer, BodyEncoding encoding, bool with_stream);
std::string StreamModeName(StreamMode mode);

// The action groups (one file each).
absl::StatusOr<ActionResponse> CreateStreamAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> DeleteStreamAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> DescribeStreamAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> DescribeStreamSummaryAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> ListStreamsAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> ListShardsAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> IncreaseRetentionAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> DecreaseRetentionAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> SplitShardAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> MergeShardsAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> UpdateShardCountAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> UpdateStreamModeAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> DescribeLimitsAction(StreamBroker&, const FieldReader&);

void PutRecordAction(StreamBroker&, const FieldReader&, ActionReply);
void PutRecordsAction(StreamBroker&, const FieldReader&, ActionReply);
absl::StatusOr<ActionResponse> GetShardIteratorAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> GetRecordsAction(StreamBroker&, const FieldReader&);

absl::StatusOr<ActionResponse> RegisterStreamConsumerAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> DeregisterStreamConsumerAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> DescribeStreamConsumerAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> ListStreamConsumersAction(StreamBroker&, const FieldReader&);

absl::StatusOr<ActionResponse> AddTagsToStreamAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> RemoveTagsFromStreamAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> ListTagsForStreamAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> TagResourceAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> UntagResourceAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> ListTagsForResourceAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> EnableEnhancedMonitoringAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> DisableEnhancedMonitoringAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> StartStreamEncryptionAction(StreamBroker&, const FieldReader&);
absl::StatusOr<ActionResponse> StopStreamEncryptionAction(StreamBroker&, const FieldReader&);

// SubscribeToShard's request, parsed (the streaming itself is subscribe_exchange.h's).
absl::StatusOr<SubscribeParams> SubscribeParamsOf(const FieldReader& request);

}  // namespace eddy::broker::http
