#include "broker/http/json_writer.h"

#include "absl/strings/str_cat.h"
#include "broker/http/document.h"
#include "broker/validation.h"
#include "common/base64.h"

namespace eddy::broker::http {

void AppendJsonString(absl::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t start = out->size();
  out->push_back('"');
  size_t plain = 0;  // start of the run not yet copied
  bool checked_utf8 = false;  // what precedes the first byte >= 0x80 is ASCII
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80 && !checked_utf8) {
      checked_utf8 = true;
      if (!IsValidUtf8(text.substr(i))) {  // rare: nlohmann's own replacement rules
        out->resize(start);
        *out += SerializeBody(Document(std::string(text)), BodyEncoding::kJson);
        return;
      }
    }
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xf]);
    }
  }
  out->append(text.data() + plain, text.size() - plain);
  out->push_back('"');
}

void AppendJsonBase64(absl::string_view bytes, std::string* out) {
  out->push_back('"');
  common::AppendBase64(bytes, out);
  out->push_back('"');
}

void AppendJsonEpochSeconds(int64_t epoch_millis, std::string* out) {
  // nlohmann prints the shortest decimal that reads back as the same double; for
  // millis / 1000 with up to 15 significant digits that is the decimal itself.
  const bool negative = epoch_millis < 0;
  const uint64_t magnitude =
      negative ? static_cast<uint64_t>(-(epoch_millis + 1)) + 1 : static_cast<uint64_t>(epoch_millis);
  std::string fraction = absl::StrCat(1000 + magnitude % 1000).substr(1);
  while (fraction.size() > 1 && fraction.back() == '0') fraction.pop_back();
  absl::StrAppend(out, negative ? "-" : "", magnitude / 1000, ".", fraction);
}

}  // namespace eddy::broker::http
