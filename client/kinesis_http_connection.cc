#include "client/kinesis_http_connection.h"

#include <curl/curl.h>

#include <cmath>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/curl_transfer.h"
#include "common/base64.h"
#include "common/errors.h"
#include "common/event_stream.h"
#include "common/json_reader.h"

namespace eddy::client {
namespace {

using Json = nlohmann::json;

constexpr absl::string_view kTargetPrefix = "Kinesis_20131202.";
// The largest event-stream message accepted: a SubscribeToShardEvent holds at most what
// one GetRecords call would (10 MB), base64-encoded.
constexpr size_t kMaxBufferedEventBytes = 32u << 20;

// The JSON of an answer, null if it is not JSON. common::ReadJson, not nlohmann's parser:
// that one spent half a worker's CPU building each base64 record a character at a time.
// (Answers with records: ReadRecordsAnswer.)
Json Parse(absl::string_view text) {
  // A ListShards page holds at most 10 000 shards of a few values each.
  constexpr size_t kMaxAnswerValues = 1'000'000;
  absl::StatusOr<Json> json = common::ReadJson(text, kMaxAnswerValues);
  return json.ok() ? *std::move(json) : Json();
}

// Members of an answer, read leniently: a member that is absent, null (kinesis-mock sends
// "EndingSequenceNumber": null for an open shard) or of another type reads as the fallback.
// Nothing here throws, whatever the server sent.
const Json& Member(const Json& object, const char* key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string Text(const Json& object, const char* key, const std::string& fallback = "") {
  const Json& member = Member(object, key);
  return member.is_string() ? member.get<std::string>() : fallback;
}

int64_t Integer(const Json& object, const char* key) {
  const Json& member = Member(object, key);
  return member.is_number() ? member.get<int64_t>() : 0;
}

// The status of an error answer: the exception's name (`__type`, without a namespace
// prefix), the HTTP status for what the name does not say. Throttling, 5xx and expired
// temporary credentials are retryable (the next attempt signs with refreshed credentials).
absl::Status ErrorAnswer(long http_status, const std::string& body, absl::string_view op) {
  const Json json = Parse(body);
  std::string type;
  std::string message;
  if (json.is_object()) {
    type = Text(json, "__type");
    if (size_t hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
    message = json.contains("message") ? Text(json, "message") : Text(json, "Message");
  }
  const std::string text = absl::StrCat(op, ": HTTP ", http_status, type.empty() ? "" : " ", type,
                                        message.empty() ? "" : ": ", message);
  if (type == "ThrottlingException" || type == "KMSThrottlingException" ||
      type == "ExpiredTokenException" || type == "ServiceUnavailableException" ||
      (type.empty() && http_status >= 500) || http_status == 503) {
    return common::WithErrorType(absl::UnavailableError(text),
                                 type.empty() ? common::kInternalFailure : type);
  }
  if (type == "InternalFailure") {
    return common::InternalFailure(text);
  }
  if (type.empty()) {
    type = http_status == 404 ? std::string(common::kResourceNotFound) : "UnknownError";
  }
  return common::KinesisError(type, text);
}

common::HashKeyRange RangeOf(const Json& range) {
  common::HashKeyRange out;
  if (!range.is_object()) return out;
  common::ParseDecimalUint128(Text(range, "StartingHashKey", "0"), &out.start);
  common::ParseDecimalUint128(Text(range, "EndingHashKey", "0"), &out.end);
  return out;
}

// An answer carrying records (GetRecords', a SubscribeToShardEvent's): the records read
// straight from the text into `records` — Data decoded from where it lies, no document per
// record (that was most of a worker's parse time) — and the rest of the answer as a
// document. DataLoss for anything that is not such an answer.
absl::StatusOr<Json> ReadRecordsAnswer(absl::string_view text, absl::string_view what,
                                       std::vector<StreamRecord>* records) {
  using Field = common::JsonField;
  auto visit = [records](absl::Span<const Field> fields) -> absl::Status {
    StreamRecord record;
    absl::string_view data;
    for (const Field& field : fields) {  // a repeated member: the last one counts
      if (field.kind == Field::Kind::kString) {
        if (field.name == "SequenceNumber") {
          record.sequence_number.assign(field.string.data(), field.string.size());
        } else if (field.name == "PartitionKey") {
          record.partition_key.assign(field.string.data(), field.string.size());
        } else if (field.name == "Data") {
          data = field.string;
        }
      } else if (field.kind == Field::Kind::kNumber &&
                 field.name == "ApproximateArrivalTimestamp") {
        record.approximate_arrival_millis = static_cast<int64_t>(std::llround(field.number * 1000));
      }
    }
    if (record.sequence_number.empty()) {
      return absl::DataLossError("a record of the answer has no SequenceNumber");
    }
    if (!common::DecodeBase64Into(data, &record.data)) {
      return absl::DataLossError(
          absl::StrCat("record ", record.sequence_number, " has a Data that is not base64"));
    }
    records->push_back(std::move(record));
    return absl::OkStatus();
  };
  // An answer holds at most 10 000 records (GetRecords' limit) of a few values each.
  constexpr size_t kMaxAnswerValues = 1'000'000;
  absl::StatusOr<Json> json =
      common::ReadJsonVisitingArray(text, kMaxAnswerValues, "Records", visit);
  if (!json.ok()) {
    if (absl::IsDataLoss(json.status())) return json.status();
    return absl::DataLossError(absl::StrCat(what, " is not valid JSON: ", json.status().message()));
  }
  if (!json->is_object()) return absl::DataLossError(absl::StrCat(what, " is not a JSON object"));
  return json;
}

std::vector<ChildShard> ReadChildren(const Json& children) {
  std::vector<ChildShard> out;
  if (!children.is_array()) return out;
  for (const Json& c : children) {
    ChildShard child;
    child.shard_id = Text(c, "ShardId");
    if (child.shard_id.empty()) continue;  // not a child anyone could read
    if (c.contains("ParentShards") && c["ParentShards"].is_array()) {
      for (const Json& p : c["ParentShards"]) {
        if (p.is_string()) child.parent_shard_ids.push_back(p.get<std::string>());
      }
    }
    child.hash_range = RangeOf(Member(c, "HashKeyRange"));
    out.push_back(std::move(child));
  }
  return out;
}

ConsumerDescription ReadConsumer(const Json& c, const std::string& stream_arn) {
  ConsumerDescription consumer;
  consumer.name = Text(c, "ConsumerName");
  consumer.arn = Text(c, "ConsumerARN");
  consumer.stream_arn = Text(c, "StreamARN", stream_arn);
  const std::string status = Text(c, "ConsumerStatus");
  consumer.status = status == "ACTIVE"     ? ConsumerDescription::Status::kActive
                    : status == "DELETING" ? ConsumerDescription::Status::kDeleting
                                           : ConsumerDescription::Status::kCreating;
  return consumer;
}

void AddStream(const StreamRef& stream, Json* body) {
  if (!stream.arn.empty()) {
    (*body)["StreamARN"] = stream.arn;
  } else {
    (*body)["StreamName"] = stream.name;
  }
}

Json PositionJson(const StartingPosition& position, const char* type_member) {
  Json out;
  switch (position.type) {
    case StartingPosition::Type::kTrimHorizon:
      out[type_member] = "TRIM_HORIZON";
      break;
    case StartingPosition::Type::kLatest:
      out[type_member] = "LATEST";
      break;
    case StartingPosition::Type::kAtSequenceNumber:
      out[type_member] = "AT_SEQUENCE_NUMBER";
      break;
    case StartingPosition::Type::kAfterSequenceNumber:
      out[type_member] = "AFTER_SEQUENCE_NUMBER";
      break;
    case StartingPosition::Type::kAtTimestamp:
      out[type_member] = "AT_TIMESTAMP";
      break;
  }
  return out;
}

Json FilterJson(const ShardFilter& filter) {
  switch (filter.type) {
    case ShardFilter::Type::kAtTrimHorizon:
      return Json{{"Type", "AT_TRIM_HORIZON"}};
    case ShardFilter::Type::kAtLatest:
      return Json{{"Type", "AT_LATEST"}};
    case ShardFilter::Type::kAtTimestamp:
      return Json{{"Type", "AT_TIMESTAMP"},
                  {"Timestamp", static_cast<double>(filter.timestamp_millis) / 1000.0}};
    case ShardFilter::Type::kNone:
      break;
  }
  return Json::object();
}

// scheme://host[:port] → host[:port], as the Host header carries it.
std::string HostOf(const std::string& endpoint_url) {
  std::string host = endpoint_url;
  if (size_t scheme = host.find("://"); scheme != std::string::npos) host = host.substr(scheme + 3);
  if (size_t path = host.find('/'); path != std::string::npos) host = host.substr(0, path);
  return host;
}

// What a signed request needs; shared by the unary calls and the subscriptions.
class RequestSigner {
 public:
  explicit RequestSigner(const KinesisHttpOptions& options)
      : options_(options), host_(HostOf(options.aws.endpoint_url)) {}

  // The headers of a call of `op` with `body`, signed.
  absl::StatusOr<curl_slist*> Headers(absl::string_view op, const std::string& body) const {
    absl::StatusOr<AwsCredentials> credentials = options_.aws.credentials->Get();
    if (!credentials.ok()) return credentials.status();
    SigningRequest request;
    request.headers = {{"Host", host_},
                       {"Content-Type", "application/x-amz-json-1.1"},
                       {"X-Amz-Target", absl::StrCat(kTargetPrefix, op)}};
    request.payload = body;
    HttpHeaders all = request.headers;
    for (auto& added :
         SignRequest(request, *credentials, options_.aws.region, "kinesis", absl::Now())) {
      all.push_back(std::move(added));
    }
    curl_slist* list = nullptr;
    for (const auto& [name, value] : all) {
      list = curl_slist_append(list, absl::StrCat(name, ": ", value).c_str());
    }
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
    list = curl_slist_append(list, "User-Agent: eddy-kcl");
    return list;
  }

  // Options every handle gets.
  void Configure(CURL* curl) const {
    curl_easy_setopt(curl, CURLOPT_URL, (options_.aws.endpoint_url + "/").c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
    const bool tls = absl::StartsWith(options_.aws.endpoint_url, "https://");
    long version = CURL_HTTP_VERSION_1_1;
    if (tls) {
      version = CURL_HTTP_VERSION_2TLS;  // AWS serves SubscribeToShard over HTTP/2 only
    } else if (options_.http2_cleartext) {
      version = CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    }
    curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, version);
    if (version == CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE) {
      // Debian's libcurl (7.88) fails the second request on a kept h2c connection ("Error
      // in the HTTP2 framing layer"; its own CLI does the same with --next): a connection
      // per call over cleartext HTTP/2.
      curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
      curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
    }
    if (!options_.ca_bundle.empty())
      curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    if (!options_.verify_tls) {
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }

 private:
  const KinesisHttpOptions& options_;
  const std::string host_;
};

size_t AppendTo(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// One SubscribeToShard session on a handle and a thread of its own.
class HttpSubscription final : public Subscription {
 public:
  HttpSubscription(const RequestSigner& signer, std::string body) : curl_(curl_easy_init()) {
    absl::StatusOr<curl_slist*> headers = signer.Headers("SubscribeToShard", body);
    if (!headers.ok() || curl_ == nullptr) {
      End(headers.ok() ? absl::InternalError("curl_easy_init failed") : headers.status());
      return;
    }
    headers_ = *headers;
    body_ = std::move(body);
    signer.Configure(curl_);
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body_.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body_.size()));
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &HttpSubscription::Write);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, &HttpSubscription::Progress);
    curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, this);
    thread_ = std::thread([this] { Run(); });
  }

  ~HttpSubscription() override {
    Cancel();
    if (thread_.joinable()) thread_.join();
    if (headers_ != nullptr) curl_slist_free_all(headers_);
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
  }

  Result Next(SubscriptionEvent* event, absl::Duration timeout) override {
    absl::MutexLock lock(&mu_);
    auto ready = [this] { return !events_.empty() || ended_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (!events_.empty()) {
      *event = std::move(events_.front());
      events_.pop_front();
      return Result::kEvent;
    }
    return ended_ ? Result::kEnded : Result::kTimedOut;
  }

  absl::Status Finish() override {
    Cancel();
    if (thread_.joinable()) thread_.join();
    absl::MutexLock lock(&mu_);
    return status_;
  }

  void Cancel() override {
    {
      absl::MutexLock lock(&mu_);
      if (ended_) return;
      cancelled_ = true;
    }
    transfer_.Wakeup();
  }

 private:
  void Run() {
    const CURLcode code = transfer_.Perform(curl_, [this] {
      absl::MutexLock lock(&mu_);
      return cancelled_;
    });
    long http = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &http);
    absl::Status status;
    {
      absl::MutexLock lock(&mu_);
      if (!stream_error_.ok()) {
        status = stream_error_;
      } else if (cancelled_) {
        status = absl::CancelledError("SubscribeToShard cancelled");
      } else if (http != 200 && http != 0) {
        status = ErrorAnswer(http, error_body_, "SubscribeToShard");
      } else if (code != CURLE_OK) {
        status =
            absl::UnavailableError(absl::StrCat("SubscribeToShard: ", curl_easy_strerror(code)));
      } else if (!buffered_.empty()) {
        status = absl::UnavailableError("SubscribeToShard: the stream ended inside a message");
      }
    }
    End(status);
  }

  void End(absl::Status status) {
    absl::MutexLock lock(&mu_);
    status_ = std::move(status);
    ended_ = true;
  }

  static size_t Write(char* data, size_t size, size_t count, void* self) {
    return static_cast<HttpSubscription*>(self)->OnBytes(absl::string_view(data, size * count));
  }
  static int Progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* subscription = static_cast<HttpSubscription*>(self);
    absl::MutexLock lock(&subscription->mu_);
    return subscription->cancelled_ ? 1 : 0;
  }

  // Bytes of the response: an error answer's body, or event-stream messages. Returns
  // fewer bytes than given to abort the transfer.
  size_t OnBytes(absl::string_view bytes) {
    long http = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &http);
    if (http != 200) {
      if (error_body_.size() < (64u << 10)) error_body_.append(bytes.data(), bytes.size());
      return bytes.size();
    }
    buffered_.append(bytes.data(), bytes.size());
    size_t used = 0;
    absl::Status failed;
    while (used < buffered_.size()) {
      size_t consumed = 0;
      absl::StatusOr<common::EventStreamMessageView> message = common::DecodeEventStreamMessageView(
          absl::string_view(buffered_).substr(used), &consumed);
      if (!message.ok()) {
        if (absl::IsNotFound(message.status())) break;  // incomplete
        failed =
            absl::DataLossError(absl::StrCat("SubscribeToShard: ", message.status().message()));
        break;
      }
      used += consumed;
      failed = OnMessage(*message);
      if (!failed.ok()) break;
    }
    buffered_.erase(0, used);
    if (failed.ok() && buffered_.size() > kMaxBufferedEventBytes) {
      failed = absl::DataLossError("SubscribeToShard: an event-stream message is too large");
    }
    if (!failed.ok()) {
      absl::MutexLock lock(&mu_);
      if (stream_error_.ok() && !cancelled_) stream_error_ = failed;
      return 0;
    }
    absl::MutexLock lock(&mu_);
    return cancelled_ ? 0 : bytes.size();
  }

  // One message: an event is queued (waiting while the caller has one unread: back-pressure),
  // an exception ends the session with its name.
  absl::Status OnMessage(const common::EventStreamMessageView& message) {
    const absl::string_view kind = message.Header(":message-type");
    if (kind == "exception" || kind == "error") {
      std::string type(message.Header(":exception-type"));
      if (type.empty()) type = std::string(message.Header(":error-code"));
      const Json json = Parse(message.payload);
      const std::string payload(message.payload);
      const std::string text = json.is_object() ? Text(json, "message", payload) : payload;
      return ErrorAnswer(200, Json{{"__type", type}, {"message", text}}.dump(), "SubscribeToShard");
    }
    if (kind != "event" || message.Header(":event-type") != "SubscribeToShardEvent") {
      return absl::OkStatus();  // initial-response, and events this client does not know
    }
    SubscriptionEvent event;
    absl::StatusOr<Json> answer =
        ReadRecordsAnswer(message.payload, "SubscribeToShardEvent", &event.records);
    if (!answer.ok()) return answer.status();
    const Json& json = *answer;
    event.continuation_sequence_number = Text(json, "ContinuationSequenceNumber");
    event.millis_behind_latest = Integer(json, "MillisBehindLatest");
    event.child_shards = ReadChildren(Member(json, "ChildShards"));
    absl::MutexLock lock(&mu_);
    auto room = [this] { return events_.empty() || cancelled_; };
    mu_.Await(absl::Condition(&room));
    if (cancelled_) return absl::OkStatus();
    events_.push_back(std::move(event));
    return absl::OkStatus();
  }

  CURL* curl_;
  CurlTransfer transfer_;
  curl_slist* headers_ = nullptr;
  std::string body_;
  std::string buffered_;    // the transfer thread's: bytes not yet a whole message
  std::string error_body_;  // likewise: a non-200 answer
  std::thread thread_;
  absl::Mutex mu_;
  std::deque<SubscriptionEvent> events_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status stream_error_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

class KinesisHttpConnection final : public StreamConnection {
 public:
  explicit KinesisHttpConnection(KinesisHttpOptions options)
      : options_(std::move(options)), signer_(options_) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  ~KinesisHttpConnection() override {
    for (PooledHandle& handle : idle_) curl_easy_cleanup(handle.curl);
  }

  absl::StatusOr<std::vector<ShardDescription>> ListShards(const StreamRef& stream,
                                                           const ShardFilter& filter) override {
    std::vector<ShardDescription> shards;
    Json request;
    AddStream(stream, &request);
    if (filter.type != ShardFilter::Type::kNone) request["ShardFilter"] = FilterJson(filter);
    while (true) {
      absl::StatusOr<Json> page = Call("ListShards", request);
      if (!page.ok()) return page.status();
      for (const Json& s : Member(*page, "Shards")) {
        ShardDescription shard;
        shard.shard_id = Text(s, "ShardId");
        if (shard.shard_id.empty()) {
          return absl::DataLossError("ListShards: a shard of the answer has no ShardId");
        }
        shard.parent_shard_id = Text(s, "ParentShardId");
        shard.adjacent_parent_shard_id = Text(s, "AdjacentParentShardId");
        shard.hash_range = RangeOf(Member(s, "HashKeyRange"));
        const Json range = Member(s, "SequenceNumberRange");
        shard.starting_sequence_number = Text(range, "StartingSequenceNumber");
        shard.ending_sequence_number = Text(range, "EndingSequenceNumber");
        shards.push_back(std::move(shard));
      }
      const std::string next = Text(*page, "NextToken");
      if (next.empty()) return shards;
      request = Json{{"NextToken", next}};
    }
  }

  absl::StatusOr<ShardIterator> GetShardIterator(const StreamRef& stream,
                                                 const std::string& shard_id,
                                                 const StartingPosition& position) override {
    Json request = PositionJson(position, "ShardIteratorType");
    AddStream(stream, &request);
    request["ShardId"] = shard_id;
    if (!position.sequence_number.empty()) {
      request["StartingSequenceNumber"] = position.sequence_number;
    }
    if (position.type == StartingPosition::Type::kAtTimestamp) {
      request["Timestamp"] = static_cast<double>(position.timestamp_millis) / 1000.0;
    }
    absl::StatusOr<Json> answer = Call("GetShardIterator", request);
    if (!answer.ok()) return answer.status();
    std::string iterator = Text(*answer, "ShardIterator");
    if (iterator.empty()) {
      return absl::DataLossError("GetShardIterator: the answer has no ShardIterator");
    }
    return ShardIterator{std::move(iterator), ""};
  }

  absl::StatusOr<RecordsPage> GetRecords(const std::string& shard_iterator, int limit) override {
    absl::StatusOr<std::string> text =
        CallForText("GetRecords", Json{{"ShardIterator", shard_iterator}, {"Limit", limit}});
    if (!text.ok()) return text.status();
    RecordsPage page;
    absl::StatusOr<Json> answer = ReadRecordsAnswer(*text, "GetRecords' answer", &page.records);
    if (!answer.ok()) return answer.status();
    const Json next = Member(*answer, "NextShardIterator");
    if (next.is_string()) page.next_shard_iterator = next.get<std::string>();
    page.millis_behind_latest = Integer(*answer, "MillisBehindLatest");
    page.child_shards = ReadChildren(Member(*answer, "ChildShards"));
    return page;
  }

  absl::StatusOr<StreamSummary> DescribeStreamSummary(const StreamRef& stream) override {
    Json request;
    AddStream(stream, &request);
    absl::StatusOr<Json> answer = Call("DescribeStreamSummary", request);
    if (!answer.ok()) return answer.status();
    const Json summary = Member(*answer, "StreamDescriptionSummary");
    StreamSummary out;
    out.name = Text(summary, "StreamName");
    out.arn = Text(summary, "StreamARN");
    out.open_shard_count = Integer(summary, "OpenShardCount");
    const std::string status = Text(summary, "StreamStatus");
    out.status = status == "ACTIVE"     ? StreamSummary::Status::kActive
                 : status == "UPDATING" ? StreamSummary::Status::kUpdating
                 : status == "DELETING" ? StreamSummary::Status::kDeleting
                                        : StreamSummary::Status::kCreating;
    return out;
  }

  absl::StatusOr<ConsumerDescription> DescribeStreamConsumer(const std::string& stream_arn,
                                                             const std::string& name) override {
    absl::StatusOr<Json> answer =
        Call("DescribeStreamConsumer", Json{{"StreamARN", stream_arn}, {"ConsumerName", name}});
    if (!answer.ok()) return answer.status();
    return ReadConsumer(Member(*answer, "ConsumerDescription"), stream_arn);
  }

  absl::StatusOr<ConsumerDescription> RegisterStreamConsumer(const std::string& stream_arn,
                                                             const std::string& name) override {
    absl::StatusOr<Json> answer =
        Call("RegisterStreamConsumer", Json{{"StreamARN", stream_arn}, {"ConsumerName", name}});
    if (!answer.ok()) return answer.status();
    return ReadConsumer(Member(*answer, "Consumer"), stream_arn);
  }

  std::unique_ptr<Subscription> SubscribeToShard(const std::string& consumer_arn,
                                                 const std::string& shard_id,
                                                 const StartingPosition& position) override {
    Json start = PositionJson(position, "Type");
    if (!position.sequence_number.empty()) start["SequenceNumber"] = position.sequence_number;
    if (position.type == StartingPosition::Type::kAtTimestamp) {
      start["Timestamp"] = static_cast<double>(position.timestamp_millis) / 1000.0;
    }
    const Json request{
        {"ConsumerARN", consumer_arn}, {"ShardId", shard_id}, {"StartingPosition", start}};
    return std::make_unique<HttpSubscription>(signer_, request.dump());
  }

 private:
  // One unary call: the answer's JSON, or the error it names.
  absl::StatusOr<Json> Call(absl::string_view op, const Json& request) {
    absl::StatusOr<std::string> answer = CallForText(op, request);
    if (!answer.ok()) return answer.status();
    Json json = Parse(*answer);
    if (!json.is_object()) {
      return absl::DataLossError(absl::StrCat(op, ": the answer is not a JSON object"));
    }
    return json;
  }

  // One unary call: the answer's text, or the error it names.
  absl::StatusOr<std::string> CallForText(absl::string_view op, const Json& request) {
    const std::string body = request.dump();
    absl::StatusOr<curl_slist*> headers = signer_.Headers(op, body);
    if (!headers.ok()) return headers.status();
    PooledHandle handle = Acquire();
    CURL* curl = handle.curl;
    if (curl == nullptr) {
      curl_slist_free_all(*headers);
      return absl::InternalError("curl_easy_init failed");
    }
    std::string answer;
    signer_.Configure(curl);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, *headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendTo);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    const CURLcode code = handle.transfer->Perform(curl);
    long http = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(*headers);
    Release(std::move(handle), code == CURLE_OK);
    if (code != CURLE_OK) {
      return absl::UnavailableError(absl::StrCat(op, ": ", curl_easy_strerror(code)));
    }
    if (http != 200) return ErrorAnswer(http, answer, op);
    return answer;
  }

  // An easy handle and the multi handle it runs on, which keeps its connection alive.
  struct PooledHandle {
    CURL* curl = nullptr;
    std::unique_ptr<CurlTransfer> transfer;
  };

  // A handle (and its kept-alive connection) from the pool, or a new one.
  PooledHandle Acquire() {
    {
      absl::MutexLock lock(&pool_mu_);
      if (!idle_.empty()) {
        PooledHandle handle = std::move(idle_.back());
        idle_.pop_back();
        return handle;
      }
    }
    return PooledHandle{curl_easy_init(), std::make_unique<CurlTransfer>()};
  }
  void Release(PooledHandle handle, bool healthy) {
    if (!healthy) {
      // Its connection may be half-dead: not reused (the multi handle, its cache, goes too).
      curl_easy_cleanup(handle.curl);
      return;
    }
    absl::MutexLock lock(&pool_mu_);
    idle_.push_back(std::move(handle));
  }

  const KinesisHttpOptions options_;
  const RequestSigner signer_;
  absl::Mutex pool_mu_;
  std::vector<PooledHandle> idle_ ABSL_GUARDED_BY(pool_mu_);
};

}  // namespace

std::unique_ptr<StreamConnection> MakeKinesisHttpConnection(KinesisHttpOptions options) {
  return std::make_unique<KinesisHttpConnection>(std::move(options));
}

}  // namespace eddy::client
