// NATS JetStream through the C client: asynchronous publishes completed per batch, and a
// push consumer (deliver all, no acks, flow control) per reader on a connection of its own.
#include <nats/nats.h>

#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "bench/eddy_bench/stream_system.h"

namespace eddy::bench {
namespace {

absl::Status Check(natsStatus s, const char* what) {
  if (s == NATS_OK) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("nats ", what, ": ", natsStatus_GetText(s), " ", nats_GetLastError(nullptr)));
}

struct Connection {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  ~Connection() {
    if (js != nullptr) jsCtx_Destroy(js);
    if (nc != nullptr) natsConnection_Destroy(nc);
  }
};

absl::Status Connect(const std::string& endpoint, Connection* c) {
  natsOptions* options = nullptr;
  natsOptions_Create(&options);
  const std::string url = absl::StrCat("nats://", endpoint);
  natsOptions_SetURL(options, url.c_str());
  natsOptions_SetMaxPendingMsgs(options, 1 << 20);
  natsStatus s = natsConnection_Connect(&c->nc, options);
  natsOptions_Destroy(options);
  if (s != NATS_OK) return Check(s, "connect");
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.PublishAsync.MaxPending = 4096;
  return Check(natsConnection_JetStream(&c->js, c->nc, &js_options), "jetstream");
}

class NatsSystem final : public StreamSystem {
 public:
  explicit NatsSystem(std::string endpoint) : endpoint_(std::move(endpoint)) {}

  absl::Status Reset(const std::string& name) override {
    stream_ = name;
    subject_ = name;
    if (writer_.nc == nullptr) {
      if (absl::Status s = Connect(endpoint_, &writer_); !s.ok()) return s;
    }
    jsErrCode error = static_cast<jsErrCode>(0);
    js_DeleteStream(writer_.js, stream_.c_str(), nullptr, &error);  // absent is fine
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = stream_.c_str();
    const char* subjects[] = {subject_.c_str()};
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    jsStreamInfo* info = nullptr;
    natsStatus s = js_AddStream(&info, writer_.js, &config, nullptr, &error);
    if (info != nullptr) jsStreamInfo_Destroy(info);
    return Check(s, "add stream");
  }

  absl::Status Append(const std::vector<std::string>& records) override {
    for (const std::string& data : records) {
      natsStatus s = js_PublishAsync(writer_.js, subject_.c_str(), data.data(),
                                     static_cast<int>(data.size()), nullptr);
      if (s != NATS_OK) return Check(s, "publish");
    }
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MaxWait = 60'000;
    return Check(js_PublishAsyncComplete(writer_.js, &options), "publish complete");
  }

  absl::Status Read(int, const std::function<bool(absl::string_view)>& on_record,
                    const std::atomic<bool>& stop) override {
    struct State {
      const std::function<bool(absl::string_view)>* on_record = nullptr;
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
    } state;
    state.on_record = &on_record;
    Connection c;  // after `state`: closed before it goes
    if (absl::Status s = Connect(endpoint_, &c); !s.ok()) return s;
    auto on_message = [](natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
      auto* st = static_cast<State*>(closure);
      bool more = true;
      {
        std::lock_guard<std::mutex> lock(st->mu);
        if (!st->done) {
          more = (*st->on_record)(absl::string_view(
              natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))));
          if (!more) st->done = true;
        }
      }
      if (!more) st->cv.notify_all();
      natsMsg_Destroy(msg);
    };
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = stream_.c_str();
    options.Config.DeliverPolicy = js_DeliverAll;
    options.Config.AckPolicy = js_AckNone;
    options.Config.FlowControl = true;
    options.Config.Heartbeat = 1'000'000'000;  // ns; flow control needs heartbeats
    natsSubscription* sub = nullptr;
    jsErrCode error = static_cast<jsErrCode>(0);
    natsStatus s =
        js_Subscribe(&sub, c.js, subject_.c_str(), on_message, &state, nullptr, &options, &error);
    if (s != NATS_OK) return Check(s, "subscribe");
    natsSubscription_SetPendingLimits(sub, -1, -1);
    {
      std::unique_lock<std::mutex> lock(state.mu);
      while (!state.done && !stop) state.cv.wait_for(lock, std::chrono::milliseconds(20));
      state.done = true;
    }
    // Drained, no callback can run any more (late messages only see `done`).
    natsSubscription_Drain(sub);
    natsSubscription_WaitForDrainCompletion(sub, 10'000);
    natsSubscription_Destroy(sub);
    return absl::OkStatus();
  }

 private:
  const std::string endpoint_;
  std::string stream_;
  std::string subject_;
  Connection writer_;
};

}  // namespace

std::unique_ptr<StreamSystem> MakeNatsSystem(const std::string& endpoint) {
  return std::make_unique<NatsSystem>(endpoint);
}

}  // namespace eddy::bench
