// JsonTape against hand-written cases and, for random documents and random damage to them,
// against nlohmann::json: the same verdict (valid or not) and the same values.
#include "common/json_tape.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace eddy::common {
namespace {

TEST(JsonTapeTest, ReadsAKinesisEvent) {
  const std::string text =
      R"({"Records":[{"Data":"aGVsbG8=","PartitionKey":"k\u00e9\n","SequenceNumber":"4968",)"
      R"("ApproximateArrivalTimestamp":1.796403160611E9}],"MillisBehindLatest":0,)"
      R"("ContinuationSequenceNumber":"4968","ChildShards":null})";
  absl::StatusOr<JsonTape> tape = JsonTape::Parse(text);
  ASSERT_TRUE(tape.ok()) << tape.status();
  JsonRef root = tape->root();
  int records = 0;
  for (JsonRef r : root.Member("Records").elements()) {
    ++records;
    EXPECT_EQ(r.Member("Data").String(), "aGVsbG8=");
    EXPECT_EQ(r.Member("PartitionKey").String(), "k\xc3\xa9\n");
    EXPECT_EQ(r.Member("SequenceNumber").String(), "4968");
    EXPECT_DOUBLE_EQ(*r.Member("ApproximateArrivalTimestamp").Double(), 1.796403160611E9);
  }
  EXPECT_EQ(records, 1);
  EXPECT_EQ(root.Member("MillisBehindLatest").Int64(), 0);
  EXPECT_TRUE(root.Member("ChildShards").is_null());
  EXPECT_TRUE(root.Member("Absent").is_null());
  // Another type than asked reads as empty.
  EXPECT_EQ(root.Member("Records").String(), "");
  EXPECT_EQ(root.Member("ContinuationSequenceNumber").Int64(), std::nullopt);
  EXPECT_EQ(JsonRef().Member("x").elements().begin() != JsonRef().elements().end(), false);
}

TEST(JsonTapeTest, SurrogatePairsAndEscapedQuotes) {
  absl::StatusOr<JsonTape> tape = JsonTape::Parse(R"(["\ud83d\ude00", "a\"b\\", "\ud800x"])");
  ASSERT_TRUE(tape.ok()) << tape.status();
  std::vector<std::string> values;
  for (JsonRef v : tape->root().elements()) values.push_back(v.String());
  EXPECT_EQ(values, (std::vector<std::string>{"\xf0\x9f\x98\x80", "a\"b\\", "\xef\xbf\xbdx"}));
}

TEST(JsonTapeTest, RefusesWhatIsNotJson) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\"}", "{\"a\":}", "\"abc", "\"a\\x\"", "\"\\u12\"",
                          "01", "1.", "-", "1e", "tru", "nul", "[1] 2", "{\"a\":1,}", "\"a\tb\"",
                          "[[[[", "\"\\"}) {
    EXPECT_FALSE(JsonTape::Parse(bad).ok()) << bad;
  }
  EXPECT_FALSE(JsonTape::Parse(std::string(100, '[') + std::string(100, ']')).ok());  // too deep
}

// A random JSON document of bounded size.
nlohmann::json RandomValue(std::mt19937& random, int depth) {
  const int kind = static_cast<int>(random() % (depth > 3 ? 5 : 7));
  switch (kind) {
    case 0: return nullptr;
    case 1: return random() % 2 == 0;
    case 2: return static_cast<int64_t>(random()) - (1 << 30);
    case 3: return static_cast<double>(random()) / 7.0;
    case 4: {
      std::string s;
      const std::vector<std::string> pieces = {"a", "b", "\"", "\\", "/", "\n", "\t",
                                               "\x01", " ", "\xc3\xa9", "\xf0\x9f\x98\x80", "z"};
      for (size_t n = random() % 12; n > 0; --n) s += pieces[random() % pieces.size()];
      return nlohmann::json(s);
    }
    case 5: {
      nlohmann::json array = nlohmann::json::array();
      for (size_t n = random() % 4; n > 0; --n) array.push_back(RandomValue(random, depth + 1));
      return array;
    }
    default: {
      nlohmann::json object = nlohmann::json::object();
      for (size_t n = random() % 4; n > 0; --n) {
        object["k" + std::to_string(random() % 5)] = RandomValue(random, depth + 1);
      }
      return object;
    }
  }
}

// Whether the tape's view of `ref` equals `expected`.
bool Same(JsonRef ref, const nlohmann::json& expected) {
  if (expected.is_null()) return ref.is_null();
  if (expected.is_boolean()) {
    return ref.type() == (expected.get<bool>() ? JsonRef::Type::kTrue : JsonRef::Type::kFalse);
  }
  if (expected.is_number_integer()) return ref.Int64() == expected.get<int64_t>();
  if (expected.is_number()) return ref.Double() == expected.get<double>();
  if (expected.is_string()) return ref.String() == expected.get<std::string>();
  if (expected.is_array()) {
    size_t i = 0;
    for (JsonRef e : ref.elements()) {
      if (i >= expected.size() || !Same(e, expected[i++])) return false;
    }
    return ref.is_array() && i == expected.size();
  }
  for (const auto& [key, value] : expected.items()) {
    if (!Same(ref.Member(key), value)) return false;
  }
  return ref.is_object();
}

TEST(JsonTapeTest, AgreesWithNlohmannOnRandomDocumentsAndDamagedOnes) {
  std::mt19937 random(20261204);
  for (int round = 0; round < 3000; ++round) {
    const nlohmann::json document = RandomValue(random, 0);
    const std::string text = document.dump(round % 2 == 0 ? -1 : 1);
    absl::StatusOr<JsonTape> tape = JsonTape::Parse(text);
    ASSERT_TRUE(tape.ok()) << text << ": " << tape.status();
    ASSERT_TRUE(Same(tape->root(), document)) << text;

    // Damage: a byte changed, cut, or doubled. Both parsers must reach the same verdict.
    std::string damaged = text;
    const size_t at = random() % damaged.size();
    switch (random() % 3) {
      // No 'e': "1e999" is JSON, but nlohmann refuses a number out of double's range.
      case 0: {
        const char alphabet[] = "{}[]\":,\\0-. x\x01\xa9";
        damaged[at] = alphabet[random() % (sizeof(alphabet) - 1)];
        break;
      }
      case 1: damaged.resize(at); break;
      default: damaged.insert(at, 1, damaged[at]); break;
    }
    const bool nlohmann_ok = nlohmann::json::accept(damaged);
    EXPECT_EQ(JsonTape::Parse(damaged).ok(), nlohmann_ok) << damaged;
  }
}

}  // namespace
}  // namespace eddy::common
