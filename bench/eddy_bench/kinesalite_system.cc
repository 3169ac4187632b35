// kinesalite (an implementation of the Kinesis API on LevelDB, from npm) over its JSON
// HTTP API with libcurl: PutRecords, and GetRecords polling per reader (kinesalite has no
// enhanced fan-out). It checks no signature, but wants the headers present.
#include <curl/curl.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "bench/eddy_bench/stream_system.h"

namespace eddy::bench {
namespace {

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
    const std::string payload = body.dump();
    std::string response;
    if (headers_ != nullptr) curl_slist_free_all(headers_);
    headers_ = nullptr;
    for (const std::string& header :
         {std::string("Content-Type: application/x-amz-json-1.1"),
          absl::StrCat("X-Amz-Target: Kinesis_20131202.", op),
          std::string("X-Amz-Date: 20260101T000000Z"),
          std::string("Authorization: AWS4-HMAC-SHA256 "
                      "Credential=AKIDBENCH/20260101/us-east-1/kinesis/aws4_request, "
                      "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0")}) {
      headers_ = curl_slist_append(headers_, header.c_str());
    }
    curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, payload.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &KinesisHttp::Collect);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 120L);
    const CURLcode code = curl_easy_perform(curl_);
    if (code != CURLE_OK) {
      return absl::UnavailableError(absl::StrCat("kinesalite: ", curl_easy_strerror(code)));
    }
    long http = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &http);
    nlohmann::json json = nlohmann::json::parse(response, nullptr, false);
    if (http != 200) {
      const std::string type = json.is_object() ? json.value("__type", "") : "";
      if (type.find("ResourceNotFound") != std::string::npos) {
        return absl::NotFoundError(response);
      }
      return absl::InternalError(absl::StrCat("kinesalite ", op, ": HTTP ", http, " ", response));
    }
    return json;
  }

 private:
  static size_t Collect(char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
  }

  const std::string url_;
  CURL* curl_;
  curl_slist* headers_ = nullptr;
};

class KinesaliteSystem final : public StreamSystem {
 public:
  explicit KinesaliteSystem(std::string endpoint)
      : endpoint_(std::move(endpoint)), http_(endpoint_) {}

  absl::Status Reset(const std::string& name) override {
    name_ = name;
    absl::StatusOr<nlohmann::json> deleted = http_.Call("DeleteStream", {{"StreamName", name}});
    if (!deleted.ok() && deleted.status().code() != absl::StatusCode::kNotFound) {
      return deleted.status();
    }
    if (deleted.ok() && !WaitFor([&] {
          return http_.Call("DescribeStream", {{"StreamName", name}}).status().code() ==
                 absl::StatusCode::kNotFound;
        })) {
      return absl::DeadlineExceededError("kinesalite: stream not deleted");
    }
    absl::StatusOr<nlohmann::json> created =
        http_.Call("CreateStream", {{"StreamName", name}, {"ShardCount", 1}});
    if (!created.ok()) return created.status();
    if (!WaitFor([&] {
          auto described = http_.Call("DescribeStream", {{"StreamName", name}});
          return described.ok() && (*described)["StreamDescription"]["StreamStatus"] == "ACTIVE";
        })) {
      return absl::DeadlineExceededError("kinesalite: stream not ACTIVE");
    }
    auto described = http_.Call("DescribeStream", {{"StreamName", name}});
    if (!described.ok()) return described.status();
    shard_ = (*described)["StreamDescription"]["Shards"][0]["ShardId"];
    return absl::OkStatus();
  }

  absl::Status Append(const std::vector<std::string>& records) override {
    nlohmann::json entries = nlohmann::json::array();
    for (const std::string& data : records) {
      entries.push_back({{"Data", absl::Base64Escape(data)}, {"PartitionKey", "k"}});
    }
    absl::StatusOr<nlohmann::json> put =
        http_.Call("PutRecords", {{"StreamName", name_}, {"Records", entries}});
    if (!put.ok()) return put.status();
    if (put->value("FailedRecordCount", 0) > 0) {
      return absl::ResourceExhaustedError("kinesalite refused records");
    }
    return absl::OkStatus();
  }

  absl::Status Read(int, const std::function<bool(absl::string_view)>& on_record,
                    const std::atomic<bool>& stop) override {
    KinesisHttp http(endpoint_);
    absl::StatusOr<nlohmann::json> iterator = http.Call(
        "GetShardIterator",
        {{"StreamName", name_}, {"ShardId", shard_}, {"ShardIteratorType", "TRIM_HORIZON"}});
    if (!iterator.ok()) return iterator.status();
    std::string next = (*iterator)["ShardIterator"];
    std::string data;
    while (!stop && !next.empty()) {
      absl::StatusOr<nlohmann::json> got =
          http.Call("GetRecords", {{"ShardIterator", next}, {"Limit", 10000}});
      if (!got.ok()) return got.status();
      for (const nlohmann::json& record : (*got)["Records"]) {
        absl::Base64Unescape(record["Data"].get<std::string>(), &data);
        if (!on_record(data)) return absl::OkStatus();
      }
      next = got->value("NextShardIterator", "");
    }
    return absl::OkStatus();
  }

 private:
  static bool WaitFor(const std::function<bool()>& condition) {
    for (int attempt = 0; attempt < 300; ++attempt) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  const std::string endpoint_;
  KinesisHttp http_;
  std::string name_;
  std::string shard_;
};

}  // namespace

std::unique_ptr<StreamSystem> MakeKinesaliteSystem(const std::string& endpoint) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  return std::make_unique<KinesaliteSystem>(endpoint);
}

}  // namespace eddy::bench
