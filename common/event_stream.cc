#include "common/event_stream.h"

#include <zlib.h>

#include "common/errors.h"

namespace eddy::common {
namespace {

constexpr size_t kPreludeBytes = 12;
constexpr size_t kCrcBytes = 4;
constexpr uint8_t kStringType = 7;
// AWS caps a message at 16 MiB and its headers at 128 KiB.
constexpr uint32_t kMaxMessageBytes = 16 << 20;
constexpr uint32_t kMaxHeaderBytes = 128 << 10;

void PutU32(std::string* out, uint32_t value) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>(value >> (8 * i)));
}

void SetU32(std::string* out, size_t at, uint32_t value) {
  for (int i = 0; i < 4; ++i) (*out)[at + i] = static_cast<char>(value >> (8 * (3 - i)));
}

uint32_t GetU32(absl::string_view bytes, size_t at) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<uint8_t>(bytes[at + i]);
  return value;
}

uint32_t Crc32(absl::string_view bytes, size_t length) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(length)));
}

absl::string_view HeaderOf(const std::vector<std::pair<std::string, std::string>>& headers,
                           absl::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

}  // namespace

absl::string_view EventStreamMessage::Header(absl::string_view name) const {
  return HeaderOf(headers, name);
}

absl::string_view EventStreamMessageView::Header(absl::string_view name) const {
  return HeaderOf(headers, name);
}

EventStreamFrame::EventStreamFrame(const std::vector<std::pair<std::string, std::string>>& headers,
                                   size_t payload_estimate) {
  size_t headers_size = 0;
  for (const auto& [name, value] : headers) headers_size += 4 + name.size() + value.size();
  bytes_.reserve(kPreludeBytes + headers_size + payload_estimate + kCrcBytes);
  bytes_.resize(kPreludeBytes);  // filled in by Finish
  for (const auto& [name, value] : headers) {
    bytes_.push_back(static_cast<char>(name.size()));
    bytes_.append(name);
    bytes_.push_back(static_cast<char>(kStringType));
    bytes_.push_back(static_cast<char>(value.size() >> 8));
    bytes_.push_back(static_cast<char>(value.size()));
    bytes_.append(value);
  }
  headers_size_ = headers_size;
}

std::string EventStreamFrame::Finish() && {
  SetU32(&bytes_, 0, static_cast<uint32_t>(bytes_.size() + kCrcBytes));
  SetU32(&bytes_, 4, static_cast<uint32_t>(headers_size_));
  SetU32(&bytes_, 8, Crc32(bytes_, 8));
  PutU32(&bytes_, Crc32(bytes_, bytes_.size()));
  return std::move(bytes_);
}

std::string EncodeEventStreamMessage(const EventStreamMessage& message) {
  EventStreamFrame frame(message.headers, message.payload.size());
  frame.payload()->append(message.payload);
  return std::move(frame).Finish();
}

absl::StatusOr<EventStreamMessage> DecodeEventStreamMessage(absl::string_view bytes,
                                                            size_t* consumed) {
  absl::StatusOr<EventStreamMessageView> view = DecodeEventStreamMessageView(bytes, consumed);
  if (!view.ok()) return view.status();
  return EventStreamMessage{std::move(view->headers), std::string(view->payload)};
}

absl::StatusOr<EventStreamMessageView> DecodeEventStreamMessageView(absl::string_view bytes,
                                                                    size_t* consumed) {
  if (bytes.size() < kPreludeBytes) return absl::NotFoundError("incomplete");
  const uint32_t total = GetU32(bytes, 0);
  const uint32_t headers_length = GetU32(bytes, 4);
  if (GetU32(bytes, 8) != Crc32(bytes, 8)) {
    return InvalidArgument("event-stream prelude CRC mismatch");
  }
  if (total > kMaxMessageBytes || headers_length > kMaxHeaderBytes ||
      total < kPreludeBytes + headers_length + kCrcBytes) {
    return InvalidArgument("event-stream prelude lengths are inconsistent");
  }
  if (bytes.size() < total) return absl::NotFoundError("incomplete");
  if (GetU32(bytes, total - kCrcBytes) != Crc32(bytes, total - kCrcBytes)) {
    return InvalidArgument("event-stream message CRC mismatch");
  }
  EventStreamMessageView message;
  size_t at = kPreludeBytes;
  const size_t headers_end = kPreludeBytes + headers_length;
  auto need = [&](size_t n) { return at + n <= headers_end; };
  while (at < headers_end) {
    const size_t name_length = static_cast<uint8_t>(bytes[at++]);
    if (!need(name_length + 1)) return InvalidArgument("event-stream header truncated");
    std::string name(bytes.substr(at, name_length));
    at += name_length;
    const uint8_t type = static_cast<uint8_t>(bytes[at++]);
    std::string value;
    size_t fixed = 0;
    switch (type) {
      case 0:
      case 1:
        fixed = 0;  // bool true / false
        value = type == 0 ? "true" : "false";
        break;
      case 2:
        fixed = 1;
        break;
      case 3:
        fixed = 2;
        break;
      case 4:
        fixed = 4;
        break;
      case 5:
        fixed = 8;
        break;
      case 8:
        fixed = 8;
        break;  // timestamp
      case 9:
        fixed = 16;
        break;  // uuid
      case 6:
      case 7: {
        if (!need(2)) return InvalidArgument("event-stream header truncated");
        const size_t length =
            static_cast<uint8_t>(bytes[at]) << 8 | static_cast<uint8_t>(bytes[at + 1]);
        at += 2;
        if (!need(length)) return InvalidArgument("event-stream header truncated");
        value = std::string(bytes.substr(at, length));
        at += length;
        break;
      }
      default:
        return InvalidArgument("event-stream header has an unknown value type");
    }
    if (fixed > 0) {
      if (!need(fixed)) return InvalidArgument("event-stream header truncated");
      value = std::string(bytes.substr(at, fixed));
      at += fixed;
    }
    message.headers.emplace_back(std::move(name), std::move(value));
  }
  message.payload = bytes.substr(headers_end, total - headers_end - kCrcBytes);
  *consumed = total;
  return message;
}

EventStreamFrame EventFrame(absl::string_view event_type, absl::string_view content_type,
                            size_t payload_estimate) {
  return EventStreamFrame({{":event-type", std::string(event_type)},
                           {":content-type", std::string(content_type)},
                           {":message-type", "event"}},
                          payload_estimate);
}

std::string EventMessage(absl::string_view event_type, absl::string_view content_type,
                         std::string payload) {
  EventStreamFrame frame = EventFrame(event_type, content_type, payload.size());
  frame.payload()->append(payload);
  return std::move(frame).Finish();
}

std::string ExceptionMessage(absl::string_view exception_type, absl::string_view content_type,
                             std::string payload) {
  EventStreamMessage message;
  message.headers = {{":exception-type", std::string(exception_type)},
                     {":content-type", std::string(content_type)},
                     {":message-type", "exception"}};
  message.payload = std::move(payload);
  return EncodeEventStreamMessage(message);
}

}  // namespace eddy::common
