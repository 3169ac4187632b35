// Every action of the Kinesis API (2013-12-02), and what Eddy does with it.
#include <map>

#include "broker/http/actions.h"

namespace eddy::broker::http {
namespace {

ActionEntry Sync(SyncAction action) { return ActionEntry{action, nullptr, false, false}; }
ActionEntry Async(AsyncAction action) { return ActionEntry{nullptr, action, false, false}; }
ActionEntry NotImplemented() { return ActionEntry{nullptr, nullptr, true, false}; }
ActionEntry Streaming() { return ActionEntry{nullptr, nullptr, false, true}; }

const std::map<std::string, ActionEntry>& Table() {
  static const auto* kTable = new std::map<std::string, ActionEntry>{
      {"AddTagsToStream", Sync(AddTagsToStreamAction)},
      {"CreateStream", Sync(CreateStreamAction)},
      {"DecreaseStreamRetentionPeriod", Sync(DecreaseRetentionAction)},
      {"DeleteResourcePolicy", NotImplemented()},
      {"DeleteStream", Sync(DeleteStreamAction)},
      {"DeregisterStreamConsumer", Sync(DeregisterStreamConsumerAction)},
      {"DescribeAccountSettings", NotImplemented()},
      {"DescribeLimits", Sync(DescribeLimitsAction)},
      {"DescribeStream", Sync(DescribeStreamAction)},
      {"DescribeStreamConsumer", Sync(DescribeStreamConsumerAction)},
      {"DescribeStreamSummary", Sync(DescribeStreamSummaryAction)},
      {"DisableEnhancedMonitoring", Sync(DisableEnhancedMonitoringAction)},
      {"EnableEnhancedMonitoring", Sync(EnableEnhancedMonitoringAction)},
      {"GetRecords", Sync(GetRecordsAction)},
      {"GetResourcePolicy", NotImplemented()},
      {"GetShardIterator", Sync(GetShardIteratorAction)},
      {"IncreaseStreamRetentionPeriod", Sync(IncreaseRetentionAction)},
      {"ListShards", Sync(ListShardsAction)},
      {"ListStreamConsumers", Sync(ListStreamConsumersAction)},
      {"ListStreams", Sync(ListStreamsAction)},
      {"ListTagsForResource", Sync(ListTagsForResourceAction)},
      {"ListTagsForStream", Sync(ListTagsForStreamAction)},
      {"MergeShards", Sync(MergeShardsAction)},
      {"PutRecord", Async(PutRecordAction)},
      {"PutRecords", Async(PutRecordsAction)},
      {"PutResourcePolicy", NotImplemented()},
      {"RegisterStreamConsumer", Sync(RegisterStreamConsumerAction)},
      {"RemoveTagsFromStream", Sync(RemoveTagsFromStreamAction)},
      {"SplitShard", Sync(SplitShardAction)},
      {"StartStreamEncryption", Sync(StartStreamEncryptionAction)},
      {"StopStreamEncryption", Sync(StopStreamEncryptionAction)},
      {"SubscribeToShard", Streaming()},
      {"TagResource", Sync(TagResourceAction)},
      {"UntagResource", Sync(UntagResourceAction)},
      {"UpdateAccountSettings", NotImplemented()},
      {"UpdateMaxRecordSize", NotImplemented()},
      {"UpdateShardCount", Sync(UpdateShardCountAction)},
      {"UpdateStreamMode", Sync(UpdateStreamModeAction)},
      {"UpdateStreamWarmThroughput", NotImplemented()},
  };
  return *kTable;
}

}  // namespace

const ActionEntry* FindAction(const std::string& action) {
  auto it = Table().find(action);
  return it == Table().end() ? nullptr : &it->second;
}

}  // namespace eddy::broker::http
