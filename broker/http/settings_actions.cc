// Actions on what Eddy records and reports: tags, enhanced monitoring, encryption.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "broker/http/actions.h"
#include "broker/http/aws_errors.h"
#include "common/errors.h"
#include "common/status_macros.h"

namespace eddy::broker::http {
namespace {

// The stream a ResourceARN names; consumers cannot be tagged in Eddy.
absl::StatusOr<StreamRef> ResourceStreamOf(const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(std::string arn, RequiredString(request, "ResourceARN", "resourceARN"));
  if (absl::StrContains(arn, "/consumer/")) {
    return common::InvalidArgument(
        absl::StrCat("Eddy tags streams only; ", arn, " names a stream consumer."));
  }
  return StreamRef{"", arn};
}

absl::StatusOr<StringPairs> RequiredTags(
    const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(std::optional<StringPairs> tags,
                        request.StringMap("Tags"));
  if (!tags) return MissingMember("tags");
  return *tags;
}

absl::StatusOr<std::vector<std::string>> RequiredKeys(const FieldReader& request) {
  if (!request.Has("TagKeys")) return MissingMember("tagKeys");
  return request.StringList("TagKeys");
}

Document TagList(const std::map<std::string, std::string>& tags, const std::string& after,
                 size_t limit, bool* has_more) {
  Document out = Document::array();
  *has_more = false;
  for (auto it = after.empty() ? tags.begin() : tags.upper_bound(after); it != tags.end(); ++it) {
    if (out.size() == limit) {
      *has_more = true;
      break;
    }
    out.push_back({{"Key", it->first}, {"Value", it->second}});
  }
  return out;
}

absl::StatusOr<Document> ChangeMonitoring(StreamBroker& broker, const FieldReader& request,
                                          bool enable) {
  EDDY_ASSIGN_OR_RETURN(StreamRef stream, StreamRefOf(request));
  if (!request.Has("ShardLevelMetrics")) return MissingMember("shardLevelMetrics");
  EDDY_ASSIGN_OR_RETURN(std::vector<std::string> metrics, request.StringList("ShardLevelMetrics"));
  EDDY_ASSIGN_OR_RETURN(MonitoringChange change,
                        broker.ChangeEnhancedMonitoring(stream, metrics, enable));
  EDDY_ASSIGN_OR_RETURN(StreamInfo info, broker.DescribeStreamSummary(stream));
  return Document{{"StreamName", info.name},
                  {"StreamARN", info.arn},
                  {"CurrentShardLevelMetrics", change.current},
                  {"DesiredShardLevelMetrics", change.desired}};
}

absl::StatusOr<Document> ChangeEncryption(StreamBroker& broker, const FieldReader& request,
                                          bool start) {
  EDDY_ASSIGN_OR_RETURN(StreamRef stream, StreamRefOf(request));
  EDDY_ASSIGN_OR_RETURN(std::string type,
                        RequiredString(request, "EncryptionType", "encryptionType"));
  EDDY_ASSIGN_OR_RETURN(std::string key, RequiredString(request, "KeyId", "keyId"));
  EDDY_RETURN_IF_ERROR(broker.ChangeEncryption(stream, type, key, start));
  return Document::object();
}

}  // namespace

absl::StatusOr<ActionResponse> AddTagsToStreamAction(StreamBroker& broker,
                                                     const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(StreamRef stream, StreamRefOf(request));
  EDDY_ASSIGN_OR_RETURN(auto tags, RequiredTags(request));
  EDDY_RETURN_IF_ERROR(broker.TagStream(stream, tags));
  return Document::object();
}

absl::StatusOr<ActionResponse> RemoveTagsFromStreamAction(StreamBroker& broker,
                                                          const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(StreamRef stream, StreamRefOf(request));
  EDDY_ASSIGN_OR_RETURN(std::vector<std::string> keys, RequiredKeys(request));
  EDDY_RETURN_IF_ERROR(broker.UntagStream(stream, keys));
  return Document::object();
}

absl::StatusOr<ActionResponse> ListTagsForStreamAction(StreamBroker& broker,
                                                       const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(StreamRef stream, StreamRefOf(request));
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> after, request.String("ExclusiveStartTagKey"));
  EDDY_ASSIGN_OR_RETURN(std::optional<int64_t> limit, request.Integer("Limit"));
  if (limit && (*limit < 1 || *limit > 50)) {
    return common::ValidationError(absl::StrCat(
        "1 validation error detected: Value '", *limit,
        "' at 'limit' failed to satisfy constraint: Member must have value between 1 and 50"));
  }
  EDDY_ASSIGN_OR_RETURN(StreamSettings settings, broker.StreamSettingsOf(stream));
  bool has_more = false;
  Document tags = TagList(settings.tags, after.value_or(""),
                          static_cast<size_t>(limit.value_or(50)), &has_more);
  return Document{{"Tags", std::move(tags)}, {"HasMoreTags", has_more}};
}

absl::StatusOr<ActionResponse> TagResourceAction(StreamBroker& broker, const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(StreamRef stream, ResourceStreamOf(request));
  EDDY_ASSIGN_OR_RETURN(auto tags, RequiredTags(request));
  EDDY_RETURN_IF_ERROR(broker.TagStream(stream, tags));
  return Document::object();
}

absl::StatusOr<ActionResponse> UntagResourceAction(StreamBroker& broker,
                                                   const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(StreamRef stream, ResourceStreamOf(request));
  EDDY_ASSIGN_OR_RETURN(std::vector<std::string> keys, RequiredKeys(request));
  EDDY_RETURN_IF_ERROR(broker.UntagStream(stream, keys));
  return Document::object();
}

absl::StatusOr<ActionResponse> ListTagsForResourceAction(StreamBroker& broker,
                                                         const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(StreamRef stream, ResourceStreamOf(request));
  EDDY_ASSIGN_OR_RETURN(StreamSettings settings, broker.StreamSettingsOf(stream));
  bool has_more = false;
  return Document{{"Tags", TagList(settings.tags, "", settings.tags.size(), &has_more)}};
}

absl::StatusOr<ActionResponse> EnableEnhancedMonitoringAction(StreamBroker& broker,
                                                              const FieldReader& request) {
  return ChangeMonitoring(broker, request, true);
}

absl::StatusOr<ActionResponse> DisableEnhancedMonitoringAction(StreamBroker& broker,
                                                               const FieldReader& request) {
  return ChangeMonitoring(broker, request, false);
}

absl::StatusOr<ActionResponse> StartStreamEncryptionAction(StreamBroker& broker,
                                                           const FieldReader& request) {
  return ChangeEncryption(broker, request, true);
}

absl::StatusOr<ActionResponse> StopStreamEncryptionAction(StreamBroker& broker,
                                                          const FieldReader& request) {
  return ChangeEncryption(broker, request, false);
}

}  // namespace eddy::broker::http
