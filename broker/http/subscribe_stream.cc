#include "broker/http/subscribe_stream.h"

#include "absl/strings/str_cat.h"
#include "broker/http/actions.h"
#include "broker/http/aws_errors.h"
#include "broker/http/record_responses.h"
#include "broker/sequence_number.h"
#include "common/errors.h"
#include "common/event_stream.h"

namespace eddy::broker::http {

namespace {

size_t JsonEventEstimate(const SubscriptionEvent& event) {
  size_t estimate = 128;
  for (const SharedRecord& record : event.records) {
    estimate += 160 + record->data.size() / 3 * 4 + record->partition_key.size();
  }
  return estimate;
}

// The JSON event written directly: members in the order nlohmann's sorted map writes them.
void AppendSubscribeEventJson(const SubscriptionEvent& event, std::string* out) {
  AppendJsonRecordsObjectOpening(event.child_shards, out);
  if (event.continuation_counter != 0) {
    absl::StrAppend(out, R"("ContinuationSequenceNumber":")",
                    FormatSequenceNumber(SequenceNumber{event.stream_tag, event.shard_index,
                                                        event.continuation_counter}),
                    R"(",)");
  }
  absl::StrAppend(out, R"("MillisBehindLatest":)", event.millis_behind_latest, R"(,"Records":[)");
  for (size_t i = 0; i < event.records.size(); ++i) {
    const SharedRecord& record = event.records[i];
    if (i > 0) out->push_back(',');
    AppendJsonRecord(
        MillisOfCounter(record->counter), record->data, record->partition_key,
        FormatSequenceNumber(SequenceNumber{event.stream_tag, event.shard_index, record->counter}),
        out);
  }
  *out += "]}";
}

// The event's payload, appended to `out` (the frame's, when sending).
void AppendSubscribeEvent(const SubscriptionEvent& event, BodyEncoding encoding, std::string* out) {
  if (encoding == BodyEncoding::kJson) return AppendSubscribeEventJson(event, out);
  *out += SerializeBody(SubscribeEventDocument(event, encoding), encoding);
}

}  // namespace

std::string EncodeSubscribeEvent(const SubscriptionEvent& event, BodyEncoding encoding) {
  std::string out;
  out.reserve(JsonEventEstimate(event));
  AppendSubscribeEvent(event, encoding, &out);
  return out;
}

Document SubscribeEventDocument(const SubscriptionEvent& event, BodyEncoding encoding) {
  Document records = Document::array();
  for (const SharedRecord& record : event.records) {
    records.push_back(
        {{"SequenceNumber", FormatSequenceNumber(SequenceNumber{event.stream_tag, event.shard_index,
                                                                record->counter})},
         {"ApproximateArrivalTimestamp",
          TimestampValue(MillisOfCounter(record->counter), encoding)},
         {"Data", BlobValue(record->data, encoding)},
         {"PartitionKey", record->partition_key}});
  }
  Document out = {{"Records", std::move(records)},
                  {"MillisBehindLatest", event.millis_behind_latest}};
  if (event.continuation_counter != 0) {
    out["ContinuationSequenceNumber"] = FormatSequenceNumber(
        SequenceNumber{event.stream_tag, event.shard_index, event.continuation_counter});
  }
  if (!event.child_shards.empty()) out["ChildShards"] = ChildShardsDocument(event.child_shards);
  return out;
}

void SubscribeStream::Start(std::shared_ptr<Subscription> subscription,
                            std::shared_ptr<Exchange> exchange, BodyEncoding encoding,
                            std::string request_id) {
  std::shared_ptr<SubscribeStream> stream(
      new SubscribeStream(std::move(subscription), std::move(exchange), encoding));
  {
    absl::MutexLock lock(&stream->mu_);
    stream->self_ = stream;
  }
  std::weak_ptr<Subscription> weak = stream->subscription_;
  stream->exchange_->OnCancel([weak] {
    if (auto subscription = weak.lock()) {
      subscription->End(absl::CancelledError("the subscriber went away"));
    }
  });
  stream->exchange_->BeginStream(
      200, {{"content-type", "application/vnd.amazon.eventstream"},
            {"x-amzn-requestid", std::move(request_id)}});
  std::string initial = common::EventMessage("initial-response", ContentTypeOf(encoding),
                                             SerializeBody(Document::object(), encoding));
  stream->exchange_->Write(std::move(initial), [stream](bool ok) {
    if (!ok) stream->subscription_->End(absl::CancelledError("the subscriber went away"));
    stream->subscription_->Attach(stream.get());
  });
}

void SubscribeStream::Send(SubscriptionEvent event) {
  // Written in place after the frame's headers: an event of records is not copied again.
  common::EventStreamFrame frame = common::EventFrame(
      "SubscribeToShardEvent", ContentTypeOf(encoding_), JsonEventEstimate(event));
  AppendSubscribeEvent(event, encoding_, frame.payload());
  std::weak_ptr<Subscription> weak = subscription_;
  exchange_->Write(std::move(frame).Finish(), [weak](bool ok) {
    if (auto subscription = weak.lock()) subscription->OnSent(ok);
  });
}

void SubscribeStream::Finish(const absl::Status& status) {
  if (!status.ok() && status.code() != absl::StatusCode::kCancelled) {
    const ErrorReply error = ErrorReplyOf(status);
    exchange_->Write(
        common::ExceptionMessage(error.error_type, ContentTypeOf(encoding_),
                                 SerializeBody(Document{{"message", error.message}}, encoding_)),
        [](bool) {});
  }
  exchange_->EndStream();
  std::shared_ptr<SubscribeStream> self;  // released after the lock, when this returns
  {
    absl::MutexLock lock(&mu_);
    self = std::move(self_);
  }
}

}  // namespace eddy::broker::http
