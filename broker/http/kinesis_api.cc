#include "broker/http/kinesis_api.h"

#include <atomic>
#include <cstdio>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "broker/http/actions.h"
#include "broker/http/aws_errors.h"
#include "broker/http/sigv4.h"
#include "broker/http/subscribe_stream.h"
#include "common/errors.h"
#include "common/logging.h"

namespace eddy::broker::http {
namespace {

constexpr absl::string_view kTargetPrefix = "Kinesis_20131202.";

void RespondError(Exchange& exchange, const absl::Status& status, BodyEncoding encoding,
                  const std::string& request_id) {
  const ErrorReply error = ErrorReplyOf(status);
  exchange.Respond(error.http_status,
                   {{"content-type", std::string(ContentTypeOf(encoding))},
                    {"x-amzn-requestid", request_id},
                    {"x-amzn-errortype", error.error_type}},
                   ErrorBody(error, encoding));
}

void RespondBody(Exchange& exchange, std::string body, BodyEncoding encoding,
                 const std::string& request_id) {
  exchange.Respond(200,
                   {{"content-type", std::string(ContentTypeOf(encoding))},
                    {"x-amzn-requestid", request_id}},
                   std::move(body));
}

// An action's answer: its error, its serialized body, or its members serialized.
void RespondResult(Exchange& exchange, absl::StatusOr<ActionResponse> result, BodyEncoding encoding,
                   const std::string& request_id) {
  if (!result.ok()) return RespondError(exchange, result.status(), encoding, request_id);
  std::string body =
      result->body ? std::move(*result->body) : SerializeBody(result->document, encoding);
  RespondBody(exchange, std::move(body), encoding, request_id);
}

absl::Status RequestError(absl::string_view type, absl::string_view message) {
  return common::KinesisError(type, message);
}

}  // namespace

std::string NewRequestId() {
  static const uint64_t seed = std::random_device{}() ^ (uint64_t{std::random_device{}()} << 32);
  static std::atomic<uint64_t> next{1};
  const uint64_t n = next.fetch_add(1);
  char out[40];
  std::snprintf(out, sizeof(out), "%08x-%04x-4%03x-a%03x-%012llx",
                static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(seed >> 16) & 0xffff,
                static_cast<uint32_t>(seed) & 0xfff, static_cast<uint32_t>(n >> 48) & 0xfff,
                static_cast<unsigned long long>(n & 0xffffffffffffULL));
  return out;
}

void KinesisApi::Handle(ApiRequest request, std::shared_ptr<Exchange> exchange) {
  const std::string request_id = NewRequestId();
  const std::string& content_type = request.Header("content-type");
  std::optional<BodyEncoding> encoding =
      content_type.empty() ? BodyEncoding::kJson : EncodingOfContentType(content_type);
  if (!encoding) {
    return RespondError(*exchange,
                        RequestError(kSerializationException,
                                     absl::StrCat("Unsupported Content-Type '",
                                                  content_type.substr(0, 100),
                                                  "': use application/x-amz-json-1.1 or "
                                                  "application/x-amz-cbor-1.1.")),
                        BodyEncoding::kJson, request_id);
  }
  if (request.method != "POST" || request.path != "/") {
    return RespondError(*exchange,
                        RequestError(kUnknownOperation,
                                     "The Kinesis API is served at POST / with an X-Amz-Target "
                                     "header."),
                        *encoding, request_id);
  }
  if (const std::string& authorization = request.Header("authorization"); !authorization.empty()) {
    if (absl::StatusOr<SigV4Authorization> parsed = ParseSigV4Authorization(authorization);
        !parsed.ok()) {
      return RespondError(*exchange, parsed.status(), *encoding, request_id);
    }
  }
  absl::string_view target = request.Header("x-amz-target");
  if (!absl::ConsumePrefix(&target, kTargetPrefix)) {
    return RespondError(
        *exchange,
        RequestError(kUnknownOperation,
                     target.empty() ? std::string("The request has no X-Amz-Target header.")
                                    : absl::StrCat("Unknown X-Amz-Target '", target.substr(0, 100),
                                                   "': Kinesis actions are Kinesis_20131202.<Action>.")),
        *encoding, request_id);
  }
  const std::string action(target);
  const ActionEntry* entry = FindAction(action);
  if (entry == nullptr || entry->not_implemented) {
    return RespondError(
        *exchange,
        RequestError(kUnknownOperation,
                     entry == nullptr
                         ? absl::StrCat("Kinesis has no action '", action.substr(0, 100), "'.")
                         : absl::StrCat("Eddy does not implement ", action,
                                        " (docs/kinesis-api.md lists what it serves).")),
        *encoding, request_id);
  }
  absl::StatusOr<Document> body = ParseBody(request.body, *encoding);
  if (!body.ok()) return RespondError(*exchange, body.status(), *encoding, request_id);
  // The document outlives every use of the reader: async actions copy what they keep.
  auto document = std::make_shared<Document>(std::move(*body));
  const FieldReader reader(*document, *encoding);
  const BodyEncoding enc = *encoding;
  try {
    if (entry->sync != nullptr) {
      return RespondResult(*exchange, entry->sync(broker_, reader), enc, request_id);
    }
    if (entry->async != nullptr) {
      entry->async(broker_, reader,
                   [exchange, enc, request_id, document](absl::StatusOr<ActionResponse> result) {
                     RespondResult(*exchange, std::move(result), enc, request_id);
                   });
      return;
    }
    absl::StatusOr<SubscribeParams> params = SubscribeParamsOf(reader);
    if (!params.ok()) return RespondError(*exchange, params.status(), enc, request_id);
    absl::StatusOr<std::shared_ptr<Subscription>> subscription = broker_.SubscribeToShard(*params);
    if (!subscription.ok()) return RespondError(*exchange, subscription.status(), enc, request_id);
    SubscribeStream::Start(std::move(*subscription), exchange, enc, request_id);
  } catch (const std::exception& e) {
    common::Logger("eddy.http")->error("action {} threw: {}", action, e.what());
    RespondError(*exchange, common::InternalFailure("The request could not be processed."), enc,
                 request_id);
  }
}

}  // namespace eddy::broker::http
