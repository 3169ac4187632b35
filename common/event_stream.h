#pragma once
// AWS event-stream messages (`application/vnd.amazon.eventstream`), the framing of
// SubscribeToShard's response:
//
//   total length u32 BE | headers length u32 BE | CRC32 of the previous 8 bytes
//   | headers | payload | CRC32 of everything before it
//
// Each header: name length u8, name, value type u8, value. Eddy writes only strings
// (type 7: u16 BE length, bytes) and reads every type AWS defines.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eddy::common {

struct EventStreamMessage {
  std::vector<std::pair<std::string, std::string>> headers;  // string-valued
  std::string payload;

  // The value of header `name`, or "" when absent.
  absl::string_view Header(absl::string_view name) const;
};

// A decoded message whose payload views the bytes it was decoded from (valid while they
// are): an event of megabytes is parsed where it arrived, not copied first.
struct EventStreamMessageView {
  std::vector<std::pair<std::string, std::string>> headers;  // string-valued
  absl::string_view payload;

  absl::string_view Header(absl::string_view name) const;
};

std::string EncodeEventStreamMessage(const EventStreamMessage& message);

// A message whose payload is written in place, after its prelude and headers, so that a
// large payload (an event of records) is not copied into the frame:
//   EventStreamFrame frame(headers, estimate);  AppendTo(frame.payload());
//   std::string bytes = std::move(frame).Finish();
class EventStreamFrame {
 public:
  EventStreamFrame(const std::vector<std::pair<std::string, std::string>>& headers,
                   size_t payload_estimate);
  std::string* payload() { return &bytes_; }
  // The message: lengths and CRCs filled in.
  std::string Finish() &&;

 private:
  std::string bytes_;
  size_t headers_size_ = 0;
};

// Decodes the message at the front of `bytes`; `*consumed` is its length. NotFound
// ("incomplete") when `bytes` holds less than a whole message; InvalidArgument for a bad
// prelude, a CRC mismatch or a malformed header.
absl::StatusOr<EventStreamMessage> DecodeEventStreamMessage(absl::string_view bytes,
                                                            size_t* consumed);
absl::StatusOr<EventStreamMessageView> DecodeEventStreamMessageView(absl::string_view bytes,
                                                                    size_t* consumed);

// The three message kinds SubscribeToShard sends.
std::string EventMessage(absl::string_view event_type, absl::string_view content_type,
                         std::string payload);
EventStreamFrame EventFrame(absl::string_view event_type, absl::string_view content_type,
                            size_t payload_estimate);
std::string ExceptionMessage(absl::string_view exception_type, absl::string_view content_type,
                             std::string payload);

}  // namespace eddy::common
