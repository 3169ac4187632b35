// Redis Streams through hiredis: pipelined XADD (one round trip per batch), and XREAD
// BLOCK per reader on a connection of its own.
#include <hiredis/hiredis.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "bench/eddy_bench/stream_system.h"

namespace eddy::bench {
namespace {

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Connection = std::unique_ptr<redisContext, ContextDeleter>;
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

absl::StatusOr<Connection> Connect(const std::string& endpoint) {
  std::string host;
  int port = 0;
  SplitHostPort(endpoint, &host, &port);
  Connection c(redisConnect(host.c_str(), port));
  if (c == nullptr || c->err != 0) {
    return absl::UnavailableError(
        absl::StrCat("redis ", endpoint, ": ", c == nullptr ? "no memory" : c->errstr));
  }
  return c;
}

absl::Status Check(redisContext* c, redisReply* reply) {
  if (reply == nullptr) return absl::UnavailableError(absl::StrCat("redis: ", c->errstr));
  if (reply->type == REDIS_REPLY_ERROR) {
    return absl::InternalError(absl::StrCat("redis: ", std::string(reply->str, reply->len)));
  }
  return absl::OkStatus();
}

class RedisSystem final : public StreamSystem {
 public:
  explicit RedisSystem(std::string endpoint) : endpoint_(std::move(endpoint)) {}

  absl::Status Reset(const std::string& name) override {
    key_ = name;
    if (writer_ == nullptr) {
      absl::StatusOr<Connection> c = Connect(endpoint_);
      if (!c.ok()) return c.status();
      writer_ = std::move(*c);
    }
    Reply reply(static_cast<redisReply*>(redisCommand(writer_.get(), "DEL %s", key_.c_str())));
    return Check(writer_.get(), reply.get());
  }

  absl::Status Append(const std::vector<std::string>& records) override {
    for (const std::string& data : records) {
      redisAppendCommand(writer_.get(), "XADD %s * d %b", key_.c_str(), data.data(), data.size());
    }
    absl::Status first_error;
    for (size_t i = 0; i < records.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(writer_.get(), &raw) != REDIS_OK) {
        return absl::UnavailableError(absl::StrCat("redis: ", writer_->errstr));
      }
      Reply reply(static_cast<redisReply*>(raw));
      absl::Status s = Check(writer_.get(), reply.get());
      if (!s.ok() && first_error.ok()) first_error = s;
    }
    return first_error;
  }

  absl::Status Read(int, const std::function<bool(absl::string_view)>& on_record,
                    const std::atomic<bool>& stop) override {
    absl::StatusOr<Connection> c = Connect(endpoint_);
    if (!c.ok()) return c.status();
    std::string last_id = "0";
    while (!stop) {
      Reply reply(static_cast<redisReply*>(redisCommand(
          c->get(), "XREAD COUNT 1000 BLOCK 200 STREAMS %s %s", key_.c_str(), last_id.c_str())));
      if (absl::Status s = Check(c->get(), reply.get()); !s.ok()) return s;
      if (reply->type != REDIS_REPLY_ARRAY) continue;  // nil: the block timed out
      // [[key, [[id, [field, value]], …]]]
      const redisReply* entries = reply->element[0]->element[1];
      for (size_t i = 0; i < entries->elements; ++i) {
        const redisReply* entry = entries->element[i];
        last_id.assign(entry->element[0]->str, entry->element[0]->len);
        const redisReply* value = entry->element[1]->element[1];
        if (!on_record(absl::string_view(value->str, value->len))) return absl::OkStatus();
      }
    }
    return absl::OkStatus();
  }

 private:
  const std::string endpoint_;
  std::string key_;
  Connection writer_;
};

}  // namespace

std::unique_ptr<StreamSystem> MakeRedisSystem(const std::string& endpoint) {
  return std::make_unique<RedisSystem>(endpoint);
}

}  // namespace eddy::bench
