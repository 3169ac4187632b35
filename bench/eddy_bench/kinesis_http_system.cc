// Any Kinesis endpoint over the JSON 1.1 API with libcurl (HTTP/1.1, keep-alive), as an
// AWS SDK drives it: PutRecords; readers either poll GetRecords (kinesalite has no enhanced
// fan-out) or, with `subscribe`, each register a consumer and read SubscribeToShard's event
// stream (Eddy's endpoint, kinesis-mock). The endpoints check no signature, but want the
// headers present and well-formed.
#include <curl/curl.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bench/eddy_bench/stream_system.h"
#include "common/base64.h"

namespace eddy::bench {
namespace {

// The answers read as a streaming JSON reader would, without building a document (a
// document per answer made this client, not the server, the bottleneck: a GetRecords answer
// of 10 000 records is 13 MB of JSON). Sound for the members AWS defines and this
// benchmark's partition key ("k"): no record member other than Data holds base64, and
// neither base64 nor the sequence numbers and iterators looked up here need escaping.

// The value of the string member `name`, if the answer has one (not if it is null).
std::optional<absl::string_view> StringMember(absl::string_view json, absl::string_view name) {
  const std::string key = absl::StrCat("\"", name, "\":\"");
  const size_t at = json.find(key);  // Eddy and kinesis-mock write it before the Records
  if (at == absl::string_view::npos) return std::nullopt;
  const size_t begin = at + key.size();
  const size_t end = json.find('"', begin);
  if (end == absl::string_view::npos) return std::nullopt;
  return json.substr(begin, end - begin);
}

// Calls `on_record` with each record's decoded Data (in `data`), in order: false once
// `on_record` returned false, an error for an answer without Records or with a Data that is
// not base64.
absl::StatusOr<bool> ForEachRecordData(absl::string_view json, std::string& data,
                                       const std::function<bool(absl::string_view)>& on_record) {
  static constexpr absl::string_view kData = R"("Data":")";
  auto refuse = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat(what, ": ", json.substr(0, 200)));
  };
  const size_t records = json.find(R"("Records":[)");
  if (records == absl::string_view::npos) return refuse("without Records");
  for (size_t at = json.find(kData, records); at != absl::string_view::npos;
       at = json.find(kData, at)) {
    at += kData.size();
    const size_t end = json.find('"', at);
    if (end == absl::string_view::npos) return refuse("with an unterminated Data");
    if (!common::DecodeBase64Into(json.substr(at, end - at), &data)) {
      return refuse("with a Data that is not base64");
    }
    at = end + 1;
    if (!on_record(data)) return false;
  }
  return true;
}

class KinesisHttp {
 public:
  explicit KinesisHttp(const std::string& endpoint)
      : url_(absl::StrCat("http://", endpoint, "/")), curl_(curl_easy_init()) {}
  ~KinesisHttp() {
    if (headers_ != nullptr) curl_slist_free_all(headers_);
    curl_easy_cleanup(curl_);
  }

  // Calls Kinesis operation `op`; the answer's JSON, or the error it names.
  absl::StatusOr<nlohmann::json> Call(const std::string& op, const nlohmann::json& body) {
    return CallRaw(op, body.dump());
  }

  // `payload` is the request's JSON text, already written.
  absl::StatusOr<nlohmann::json> CallRaw(const std::string& op, const std::string& payload) {
    absl::StatusOr<std::string> text = CallText(op, payload);
    if (!text.ok()) return text.status();
    return nlohmann::json::parse(*text, nullptr, false);
  }

  // The answer's JSON text, for the readers that scan it rather than parse it.
  absl::StatusOr<std::string> CallText(const std::string& op, const std::string& payload) {
    std::string response;
    Prepare(op, payload);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &KinesisHttp::Collect);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 120L);
    const CURLcode code = curl_easy_perform(curl_);
    if (code != CURLE_OK) {
      return absl::UnavailableError(absl::StrCat(op, ": ", curl_easy_strerror(code)));
    }
    long http = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &http);
    if (http != 200) {
      const nlohmann::json json = nlohmann::json::parse(response, nullptr, false);
      const std::string type = json.is_object() ? json.value("__type", "") : "";
      if (type.find("ResourceNotFound") != std::string::npos) {
        return absl::NotFoundError(response);
      }
      return absl::InternalError(absl::StrCat(op, ": HTTP ", http, " ", response));
    }
    return response;
  }

  // SubscribeToShard: feeds the event stream's SubscribeToShardEvent payloads to `on_event`
  // as they arrive, until the session ends or `on_event` returns false or `stop` is set.
  absl::Status Subscribe(const nlohmann::json& body,
                         const std::function<bool(absl::string_view)>& on_event,
                         const std::atomic<bool>& stop) {
    const std::string payload = body.dump();
    EventStreamSink sink{on_event, &stop, {}, {}, false};
    Prepare("SubscribeToShard", payload);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &EventStreamSink::Write);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 0L);  // a session lasts up to 5 minutes
    curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, &EventStreamSink::Progress);
    curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, &sink);
    const CURLcode code = curl_easy_perform(curl_);
    curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 1L);
    if (sink.ended || stop) return absl::OkStatus();
    if (!sink.error.empty()) return absl::InternalError(sink.error);
    long http = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &http);
    if (http != 200) {
      return absl::InternalError(absl::StrCat("SubscribeToShard: HTTP ", http, " ", sink.raw));
    }
    if (code != CURLE_OK) {
      return absl::UnavailableError(absl::StrCat("SubscribeToShard: ", curl_easy_strerror(code)));
    }
    return absl::OkStatus();  // the session ended (5 minutes): the caller resubscribes
  }

 private:
  // Decodes application/vnd.amazon.eventstream messages (prelude, headers, payload, CRCs;
  // the CRCs are not checked here — the suite's tests do that).
  struct EventStreamSink {
    const std::function<bool(absl::string_view)>& on_event;  // the event's JSON
    const std::atomic<bool>* stop;
    std::string raw;  // bytes not yet a whole message
    std::string error;
    bool ended = false;  // on_event returned false

    static size_t Write(char* data, size_t size, size_t count, void* user) {
      auto* sink = static_cast<EventStreamSink*>(user);
      sink->raw.append(data, size * count);
      size_t used = 0;  // whole messages handled; dropped from `raw` once, at the end
      struct Compact {
        std::string& raw;
        size_t& used;
        ~Compact() { raw.erase(0, used); }
      } compact{sink->raw, used};
      while (sink->raw.size() - used >= 12) {
        const absl::string_view rest = absl::string_view(sink->raw).substr(used);
        const uint32_t total = BigEndian(rest.data());
        const uint32_t headers = BigEndian(rest.data() + 4);
        if (total < 16 + headers || total > (32u << 20)) {
          sink->error = "SubscribeToShard: not an event stream";
          return 0;
        }
        if (rest.size() < total) break;
        const absl::string_view message = rest.substr(0, total);
        used += total;
        absl::string_view message_type, event_type;
        for (size_t at = 12; at < 12 + headers;) {
          const size_t name_length = static_cast<uint8_t>(message[at]);
          const absl::string_view name = message.substr(at + 1, name_length);
          at += 1 + name_length;
          const uint8_t type = static_cast<uint8_t>(message[at++]);
          if (type != 7) {  // only string headers are sent
            sink->error = "SubscribeToShard: unexpected header type";
            return 0;
          }
          const size_t value_length = (static_cast<uint8_t>(message[at]) << 8) |
                                      static_cast<uint8_t>(message[at + 1]);
          const absl::string_view value = message.substr(at + 2, value_length);
          at += 2 + value_length;
          if (name == ":message-type") message_type = value;
          if (name == ":event-type" || name == ":exception-type") event_type = value;
        }
        const absl::string_view body = message.substr(12 + headers, total - 16 - headers);
        if (message_type != "event") {
          sink->error = absl::StrCat("SubscribeToShard: ", event_type, " ", body);
          return 0;
        }
        if (event_type != "SubscribeToShardEvent") continue;  // initial-response
        if (!sink->on_event(body)) {
          sink->ended = true;
          return 0;
        }
      }
      return size * count;
    }
    static int Progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
      return static_cast<EventStreamSink*>(user)->stop->load() ? 1 : 0;
    }
    static uint32_t BigEndian(const char* p) {
      uint32_t v;
      std::memcpy(&v, p, 4);
      return __builtin_bswap32(v);
    }
  };

  void Prepare(const std::string& op, const std::string& payload) {
    if (headers_ != nullptr) curl_slist_free_all(headers_);
    headers_ = nullptr;
    for (const std::string& header :
         {std::string("Content-Type: application/x-amz-json-1.1"),
          absl::StrCat("X-Amz-Target: Kinesis_20131202.", op),
          std::string("X-Amz-Date: 20260101T000000Z"),
          std::string("Authorization: AWS4-HMAC-SHA256 "
                      "Credential=AKIDBENCH/20260101/us-east-1/kinesis/aws4_request, "
                      "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                      "Signature=" + std::string(64, '0'))}) {
      headers_ = curl_slist_append(headers_, header.c_str());
    }
    curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, payload.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  }

  static size_t Collect(char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
  }

  const std::string url_;
  CURL* curl_;
  curl_slist* headers_ = nullptr;
};

class KinesisHttpSystem final : public StreamSystem {
 public:
  KinesisHttpSystem(std::string endpoint, bool subscribe)
      : endpoint_(std::move(endpoint)), subscribe_(subscribe), http_(endpoint_) {}

  absl::Status Reset(const std::string& name) override {
    name_ = name;
    consumers_.clear();
    absl::StatusOr<nlohmann::json> deleted = http_.Call("DeleteStream", {{"StreamName", name}});
    if (!deleted.ok() && absl::StrContains(deleted.status().message(), "ResourceInUse")) {
      // Consumers left by a subscribing run (kinesalite knows no EnforceConsumerDeletion).
      deleted = http_.Call("DeleteStream", {{"StreamName", name}, {"EnforceConsumerDeletion", true}});
    }
    if (!deleted.ok() && deleted.status().code() != absl::StatusCode::kNotFound) {
      return deleted.status();
    }
    if (deleted.ok() && !WaitFor([&] {
          return http_.Call("DescribeStream", {{"StreamName", name}}).status().code() ==
                 absl::StatusCode::kNotFound;
        })) {
      return absl::DeadlineExceededError("stream not deleted");
    }
    absl::StatusOr<nlohmann::json> created =
        http_.Call("CreateStream", {{"StreamName", name}, {"ShardCount", 1}});
    if (!created.ok()) return created.status();
    if (!WaitFor([&] {
          auto described = http_.Call("DescribeStream", {{"StreamName", name}});
          return described.ok() && (*described)["StreamDescription"]["StreamStatus"] == "ACTIVE";
        })) {
      return absl::DeadlineExceededError("stream not ACTIVE");
    }
    auto described = http_.Call("DescribeStream", {{"StreamName", name}});
    if (!described.ok()) return described.status();
    shard_ = (*described)["StreamDescription"]["Shards"][0]["ShardId"];
    stream_arn_ = (*described)["StreamDescription"]["StreamARN"];
    return absl::OkStatus();
  }

  absl::Status PrepareReaders(int count) override {
    if (!subscribe_) return absl::OkStatus();
    for (int i = static_cast<int>(consumers_.size()); i < count; ++i) {
      absl::StatusOr<nlohmann::json> registered = http_.Call(
          "RegisterStreamConsumer",
          {{"StreamARN", stream_arn_}, {"ConsumerName", absl::StrCat("bench-", i)}});
      if (!registered.ok()) return registered.status();
      consumers_.push_back((*registered)["Consumer"]["ConsumerARN"]);
    }
    for (const std::string& arn : consumers_) {
      if (!WaitFor([&] {
            auto described = http_.Call("DescribeStreamConsumer", {{"ConsumerARN", arn}});
            return described.ok() &&
                   (*described)["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE";
          })) {
        return absl::DeadlineExceededError("consumer not ACTIVE");
      }
    }
    return absl::OkStatus();
  }

  absl::Status Append(const std::vector<std::string>& records) override {
    // Written as the SDKs' serializers write it, straight into one buffer (nlohmann's dump
    // escapes character by character and would make this client the bottleneck).
    std::string body = absl::StrCat(R"({"StreamName":")", name_, R"(","Records":[)");
    for (size_t i = 0; i < records.size(); ++i) {
      absl::StrAppend(&body, i == 0 ? "" : ",", R"({"Data":")");
      common::AppendBase64(records[i], &body);
      body += R"(","PartitionKey":"k"})";
    }
    body += "]}";
    absl::StatusOr<std::string> put = http_.CallText("PutRecords", body);
    if (!put.ok()) return put.status();
    // Scanned, not parsed, as the readers do: the answer holds 500 sequence numbers.
    static constexpr absl::string_view kFailed = R"("FailedRecordCount":)";
    const absl::string_view answer = *put;
    size_t failed = answer.find(kFailed);
    if (failed == absl::string_view::npos) {
      return absl::DataLossError(
          absl::StrCat("PutRecords answer without FailedRecordCount: ", put->substr(0, 200)));
    }
    failed = answer.find_first_not_of(" \t\r\n", failed + kFailed.size());
    if (failed == absl::string_view::npos || answer[failed] != '0') {
      return absl::ResourceExhaustedError("records refused");
    }
    return absl::OkStatus();
  }

  absl::Status Read(int reader, const std::function<bool(absl::string_view)>& on_record,
                    const std::atomic<bool>& stop) override {
    KinesisHttp http(endpoint_);  // a connection of its own
    return subscribe_ ? ReadPushed(http, reader, on_record, stop)
                      : ReadPolled(http, on_record, stop);
  }

 private:
  absl::Status ReadPolled(KinesisHttp& http, const std::function<bool(absl::string_view)>& on_record,
                          const std::atomic<bool>& stop) {
    absl::StatusOr<nlohmann::json> iterator = http.Call(
        "GetShardIterator",
        {{"StreamName", name_}, {"ShardId", shard_}, {"ShardIteratorType", "TRIM_HORIZON"}});
    if (!iterator.ok()) return iterator.status();
    std::string next = (*iterator)["ShardIterator"];
    std::string data;
    while (!stop && !next.empty()) {
      absl::StatusOr<std::string> got = http.CallText(
          "GetRecords", absl::StrCat(R"({"ShardIterator":")", next, R"(","Limit":10000})"));
      if (!got.ok()) return got.status();
      absl::StatusOr<bool> more = ForEachRecordData(*got, data, on_record);
      if (!more.ok()) {
        return absl::DataLossError(absl::StrCat("GetRecords answer ", more.status().message()));
      }
      if (!*more) return absl::OkStatus();
      // Absent or null at the end of a closed shard.
      next = std::string(StringMember(*got, "NextShardIterator").value_or(""));
    }
    return absl::OkStatus();
  }

  // SubscribeToShard sessions one after another, each from the last one's
  // ContinuationSequenceNumber.
  absl::Status ReadPushed(KinesisHttp& http, int reader,
                          const std::function<bool(absl::string_view)>& on_record,
                          const std::atomic<bool>& stop) {
    if (reader >= static_cast<int>(consumers_.size())) {
      return absl::FailedPreconditionError("PrepareReaders first");
    }
    nlohmann::json position = {{"Type", "TRIM_HORIZON"}};
    std::string data;
    bool done = false;
    absl::Status malformed;  // an event this reader cannot read ends the run with it
    auto on_event = [&](absl::string_view json) {
      absl::StatusOr<bool> more = ForEachRecordData(json, data, on_record);
      if (!more.ok()) {
        malformed =
            absl::DataLossError(absl::StrCat("SubscribeToShardEvent ", more.status().message()));
        return false;
      }
      if (!*more) {
        done = true;
        return false;
      }
      if (std::optional<absl::string_view> continuation =
              StringMember(json, "ContinuationSequenceNumber")) {
        position = {{"Type", "AFTER_SEQUENCE_NUMBER"},
                    {"SequenceNumber", std::string(*continuation)}};
      }
      return true;
    };
    for (int session = 0; !stop && !done && session < 100; ++session) {
      absl::Status status = http.Subscribe({{"ConsumerARN", consumers_[static_cast<size_t>(reader)]},
                                            {"ShardId", shard_},
                                            {"StartingPosition", position}},
                                           on_event, stop);
      if (!status.ok()) return status;
      if (!malformed.ok()) return malformed;
    }
    return absl::OkStatus();
  }

  static bool WaitFor(const std::function<bool()>& condition) {
    for (int attempt = 0; attempt < 300; ++attempt) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  const std::string endpoint_;
  const bool subscribe_;
  KinesisHttp http_;
  std::string name_;
  std::string shard_;
  std::string stream_arn_;
  std::vector<std::string> consumers_;
};

}  // namespace

std::unique_ptr<StreamSystem> MakeKinesisHttpSystem(const std::string& endpoint, bool subscribe) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  return std::make_unique<KinesisHttpSystem>(endpoint, subscribe);
}

}  // namespace eddy::bench
