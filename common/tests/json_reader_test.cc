// Eddy's JSON reader judged against nlohmann's strict parser: the same documents accepted,
// the same values read, the same inputs refused — on hand-picked edge cases and on random
// documents and their random corruptions (fixed seeds).
#include "common/json_reader.h"

#include <gtest/gtest.h>

#include <random>

namespace eddy::common {
namespace {

using Document = nlohmann::json;
constexpr size_t kMaxBodyValues = 100'000;

absl::StatusOr<Document> ReadJson(absl::string_view text) {
  return common::ReadJson(text, kMaxBodyValues);
}

std::optional<Document> Nlohmann(const std::string& text) {
  Document parsed = Document::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

void ExpectSameAsNlohmann(const std::string& text) {
  const absl::StatusOr<Document> read = ReadJson(text);
  if (text.find('\0') != std::string::npos) {
    // A NUL byte is never valid JSON; nlohmann stops reading there and takes what came
    // before ("20\0garbage" is 20 to it). Eddy refuses.
    EXPECT_FALSE(read.ok()) << testing::PrintToString(text);
    return;
  }
  const std::optional<Document> expected = Nlohmann(text);
  ASSERT_EQ(read.ok(), expected.has_value())
      << "input: " << testing::PrintToString(text) << " ours: " << read.status();
  if (!read.ok()) return;
  EXPECT_EQ(*read, *expected) << testing::PrintToString(text);
  EXPECT_EQ(read->dump(), expected->dump()) << testing::PrintToString(text);  // types too
}

TEST(JsonReaderTest, EdgeCasesReadAsNlohmannReadsThem) {
  for (const std::string& text : std::vector<std::string>{
           R"({})", R"([])", R"({"a":1})", R"( {"a" : [1, 2.5, -3, true, false, null]} )",
           R"({"a":1,"a":2})", R"("\u00e9\ud83d\ude00\n\t\"\\\/\b\f\r")",
           "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", R"(0)", R"(-0)", R"(1e5)",
           R"(1E+2)", R"(1.5e-3)", R"(9223372036854775807)", R"(9223372036854775808)",
           R"(18446744073709551615)", R"(18446744073709551616)", R"(-9223372036854775808)",
           R"(-9223372036854775809)", R"(123456789012345678901234567890)",
           R"({"Data":"aGk=","PartitionKey":"k"})", "\xEF\xBB\xBF{\"a\":1}",
           R"(1e-400)", R"(-1e-400)", R"(0.1)", R"(2.2250738585072014e-308)",
           // refused
           "", " ", R"({)", R"({"a"})", R"({"a":})", R"({"a":1,})", R"([1,])", R"([,1])",
           R"({a:1})", R"('a')", R"(01)", R"(1.)", R"(.5)", R"(1e)", R"(-)", R"(+1)", R"(tru)",
           R"(nul)", R"("\x")", R"("\u12")", R"("\ud800")", R"("\udc00")",
           R"("\ud800\u0041")", "\"\x01\"", "\"unterminated", "\"\xff\"", "\"\xc0\xaf\"",
           "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x82\"", R"({} {})",
           R"(1e400)", R"(-1e400)", "\xEF\xBB", "\xEF\xBB\xBF", R"([1] x)", std::string("{\"a\":1}\0", 8), std::string("\"a\0\"", 4)}) {
    ExpectSameAsNlohmann(text);
  }
}

Document RandomDocument(std::mt19937& random, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 3 ? 4 : 6);
  switch (kind(random)) {
    case 0:
      return Document(static_cast<int64_t>(random()) - (1LL << 31));
    case 1:
      return Document(std::uniform_real_distribution<double>(-1e6, 1e6)(random));
    case 2:
      return Document(random() % 2 == 0);
    case 3:
      return Document(nullptr);
    case 4: {
      std::string s;
      const int length = static_cast<int>(random() % 20);
      for (int i = 0; i < length; ++i) {
        const int pick = static_cast<int>(random() % 10);
        if (pick < 6) {
          s.push_back(static_cast<char>(' ' + random() % 95));
        } else if (pick < 8) {
          s += "\xc3\xa9";
        } else if (pick == 8) {
          s += "\xf0\x9f\x98\x80";
        } else {
          s.push_back(static_cast<char>(random() % 32));  // escaped when dumped
        }
      }
      return Document(s);
    }
    case 5: {
      Document array = Document::array();
      const int n = static_cast<int>(random() % 5);
      for (int i = 0; i < n; ++i) array.push_back(RandomDocument(random, depth + 1));
      return array;
    }
    default: {
      Document object = Document::object();
      const int n = static_cast<int>(random() % 5);
      for (int i = 0; i < n; ++i) {
        object["k" + std::to_string(random() % 8)] = RandomDocument(random, depth + 1);
      }
      return object;
    }
  }
}

TEST(JsonReaderTest, RandomDocumentsAndTheirCorruptionsAgreeWithNlohmann) {
  std::mt19937 random(20261202);
  for (int i = 0; i < 3000; ++i) {
    const Document document = RandomDocument(random, 0);
    const std::string text = document.dump(i % 2 == 0 ? -1 : 1);
    ExpectSameAsNlohmann(text);
    std::string corrupted = text;
    const int flips = 1 + static_cast<int>(random() % 3);
    for (int f = 0; f < flips && !corrupted.empty(); ++f) {
      corrupted[random() % corrupted.size()] = static_cast<char>(random() % 256);
    }
    ExpectSameAsNlohmann(corrupted);
    ExpectSameAsNlohmann(text.substr(0, random() % (text.size() + 1)));  // truncated
  }
}

TEST(JsonReaderTest, DeepNestingAndTooManyValuesAreRefused) {
  EXPECT_FALSE(ReadJson(std::string(100, '[') + std::string(100, ']')).ok());
  EXPECT_TRUE(ReadJson(std::string(60, '[') + std::string(60, ']')).ok());
  std::string many = "[";
  for (size_t i = 0; i <= kMaxBodyValues; ++i) many += i == 0 ? "0" : ",0";
  many += "]";
  EXPECT_EQ(ReadJson(many).status().code(), absl::StatusCode::kResourceExhausted);
}

// ReadJsonVisitingArray: an element's members rebuilt as a document (strings and numbers;
// the last of a repeated name wins, as in a document), and the document read beside them.
struct Visited {
  Document rest;
  std::vector<Document> elements;
};

absl::StatusOr<Visited> Visit(absl::string_view text) {
  Visited out;
  auto visit = [&out](absl::Span<const JsonField> fields) {
    Document element = Document::object();
    for (const JsonField& field : fields) {
      const std::string name(field.name);
      switch (field.kind) {
        case JsonField::Kind::kString:
          element[name] = std::string(field.string);
          break;
        case JsonField::Kind::kNumber:
          element[name] = field.number;
          break;
        case JsonField::Kind::kOther:
          element[name] = "other";
          break;
      }
    }
    out.elements.push_back(std::move(element));
    return absl::OkStatus();
  };
  absl::StatusOr<Document> rest = ReadJsonVisitingArray(text, kMaxBodyValues, "Records", visit);
  if (!rest.ok()) return rest.status();
  out.rest = *std::move(rest);
  return out;
}

// What Visit should give for `document`, an object whose Records is an array.
Visited Expected(const Document& document) {
  Visited out;
  out.rest = document;
  out.rest.erase("Records");
  for (const Document& element : document["Records"]) {
    Document flat = Document::object();
    if (element.is_object()) {
      for (const auto& [name, value] : element.items()) {
        if (value.is_string()) {
          flat[name] = value;
        } else if (value.is_number()) {
          flat[name] = value.get<double>();
        } else {
          flat[name] = "other";
        }
      }
    }
    out.elements.push_back(std::move(flat));
  }
  return out;
}

TEST(JsonReaderTest, VisitedRecordsAreTheDocumentsRecords) {
  std::mt19937 random(20261207);
  for (int i = 0; i < 2000; ++i) {
    Document records = Document::array();
    const int n = static_cast<int>(random() % 6);
    for (int r = 0; r < n; ++r) records.push_back(RandomDocument(random, 2));
    Document document = {{"Records", records}, {"Other", RandomDocument(random, 1)}};
    const std::string text = document.dump(i % 2 == 0 ? -1 : 1);
    const absl::StatusOr<Visited> visited = Visit(text);
    ASSERT_TRUE(visited.ok()) << visited.status() << " " << text;
    const Visited expected = Expected(document);
    EXPECT_EQ(visited->rest, expected.rest) << text;
    EXPECT_EQ(visited->elements, expected.elements) << text;
    // Corrupted or cut, it is refused exactly where a plain read refuses it.
    std::string corrupted = text;
    corrupted[random() % corrupted.size()] = static_cast<char>(random() % 256);
    for (const std::string& bad : {corrupted, text.substr(0, random() % text.size())}) {
      if (bad.find('\0') != std::string::npos) continue;
      EXPECT_EQ(Visit(bad).ok(), ReadJson(bad).ok()) << testing::PrintToString(bad);
    }
  }
}

TEST(JsonReaderTest, VisitedStringsAreDecodedAndElementsThatAreNotObjectsHaveNoMembers) {
  const absl::StatusOr<Visited> visited = Visit(
      R"({"Records":[{"PartitionKey":"caf\u00e9 \"q\"","Data":"é\n","N":1.5,"X":[1]},7,{}],)"
      R"("MillisBehindLatest":3})");
  ASSERT_TRUE(visited.ok()) << visited.status();
  ASSERT_EQ(visited->elements.size(), 3u);
  EXPECT_EQ(visited->elements[0],
            (Document{{"PartitionKey", "café \"q\""}, {"Data", "é\n"}, {"N", 1.5}, {"X", "other"}}));
  EXPECT_EQ(visited->elements[1], Document::object());
  EXPECT_EQ(visited->elements[2], Document::object());
  EXPECT_EQ(visited->rest, (Document{{"MillisBehindLatest", 3}}));
}

TEST(JsonReaderTest, AVisitorErrorARepeatedArrayAndOtherShapesAreTold) {
  auto failing = [](absl::Span<const JsonField>) { return absl::DataLossError("bad record"); };
  EXPECT_EQ(ReadJsonVisitingArray(R"({"Records":[{}]})", kMaxBodyValues, "Records", failing)
                .status()
                .message(),
            "bad record");
  EXPECT_TRUE(absl::IsInvalidArgument(Visit(R"({"Records":[],"Records":[]})").status()));
  // Not an array, or not at the top: an ordinary member of the document.
  const absl::StatusOr<Visited> scalar = Visit(R"({"Records":5,"In":{"Records":[1]}})");
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(scalar->rest, (Document{{"Records", 5}, {"In", {{"Records", {1}}}}}));
  EXPECT_TRUE(scalar->elements.empty());
  std::string many = R"({"Records":[)";
  for (size_t i = 0; i <= kMaxBodyValues / 2; ++i) many += i == 0 ? R"({"a":"b"})" : R"(,{"a":"b"})";
  many += "]}";
  EXPECT_EQ(Visit(many).status().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace eddy::common
