#include "broker/http/document.h"

#include <gtest/gtest.h>

#include "common/errors.h"

namespace eddy::broker::http {
namespace {

TEST(DocumentTest, JsonBlobsAreBase64AndTimestampsSeconds) {
  Document doc = {{"Data", BlobValue("hi\xff", BodyEncoding::kJson)},
                  {"T", TimestampValue(1700000000123, BodyEncoding::kJson)}};
  EXPECT_EQ(SerializeBody(doc, BodyEncoding::kJson), R"({"Data":"aGn/","T":1700000000.123})");
  absl::StatusOr<Document> parsed = ParseBody(R"({"Data":"aGn/","T":1700000000.123})",
                                              BodyEncoding::kJson);
  ASSERT_TRUE(parsed.ok());
  FieldReader reader(*parsed, BodyEncoding::kJson);
  EXPECT_EQ(reader.Blob("Data")->value(), "hi\xff");
  EXPECT_EQ(reader.TimestampMillis("T")->value(), 1700000000123);
}

TEST(DocumentTest, CborTimestampsAreTagOneMillisAndBlobsByteStrings) {
  Document doc = {{"D", BlobValue("ab", BodyEncoding::kCbor)},
                  {"T", TimestampValue(1000, BodyEncoding::kCbor)}};
  const std::string bytes = SerializeBody(doc, BodyEncoding::kCbor);
  // map(2) "D" bytes(2) 'a' 'b' "T" tag(1) uint16 1000
  const std::string expected("\xa2\x61"
                             "D\x42"
                             "ab\x61"
                             "T\xc1\x19\x03\xe8",
                             12);
  EXPECT_EQ(bytes, expected);
  absl::StatusOr<Document> parsed = ParseBody(bytes, BodyEncoding::kCbor);
  ASSERT_TRUE(parsed.ok());
  FieldReader reader(*parsed, BodyEncoding::kCbor);
  EXPECT_EQ(reader.Blob("D")->value(), "ab");
  EXPECT_EQ(reader.TimestampMillis("T")->value(), 1000);
}

TEST(DocumentTest, ReadsCborAsJacksonWritesIt) {
  // {_ "Data": (_ h'61', h'62'), "Limit": 5, "T": 1(1000), "F": 1.5 (half), "N": -2, "B": true }
  const char kBytes[] = "\xbf\x64"
                          "Data\x5f\x41"
                          "a\x41"
                          "b\xff\x65"
                          "Limit\x05\x61"
                          "T\xc1\x19\x03\xe8\x61"
                          "F\xf9\x3e\x00\x61"
                          "N\x21\x61"
                          "B\xf5\xff";
  const std::string bytes(kBytes, sizeof(kBytes) - 1);
  absl::StatusOr<Document> parsed = ParseBody(bytes, BodyEncoding::kCbor);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  FieldReader reader(*parsed, BodyEncoding::kCbor);
  EXPECT_EQ(reader.Blob("Data")->value(), "ab");
  EXPECT_EQ(reader.Integer("Limit")->value(), 5);
  EXPECT_EQ(reader.TimestampMillis("T")->value(), 1000);
  EXPECT_EQ((*parsed)["F"].get<double>(), 1.5);
  EXPECT_EQ(reader.Integer("N")->value(), -2);
  EXPECT_TRUE(reader.Boolean("B")->value());
  // Truncations, trailing bytes and absurd lengths are refused, never over-read.
  for (size_t cut = 1; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(ParseBody(bytes.substr(0, cut), BodyEncoding::kCbor).ok()) << cut;
  }
  EXPECT_FALSE(ParseBody(bytes + "x", BodyEncoding::kCbor).ok());
  EXPECT_FALSE(ParseBody(std::string("\xa1\x61k\x5b\xff\xff\xff\xff\xff\xff\xff\xff", 12),
                         BodyEncoding::kCbor)
                   .ok());
  EXPECT_FALSE(ParseBody(std::string(100, '\x81'), BodyEncoding::kCbor).ok());  // too deep
}

TEST(DocumentTest, AbsentAndZeroAreDifferent) {
  absl::StatusOr<Document> parsed = ParseBody(R"({"Limit":0,"Other":null})", BodyEncoding::kJson);
  ASSERT_TRUE(parsed.ok());
  FieldReader reader(*parsed, BodyEncoding::kJson);
  ASSERT_TRUE(reader.Integer("Limit").ok());
  EXPECT_EQ(reader.Integer("Limit")->value(), 0);
  EXPECT_FALSE(reader.Integer("Missing")->has_value());
  EXPECT_FALSE(reader.Integer("Other")->has_value());
}

TEST(DocumentTest, WrongTypesAreSerializationExceptions) {
  absl::StatusOr<Document> parsed =
      ParseBody(R"({"StreamName":5,"Limit":"x","Data":"!!"})", BodyEncoding::kJson);
  ASSERT_TRUE(parsed.ok());
  FieldReader reader(*parsed, BodyEncoding::kJson);
  EXPECT_EQ(common::ErrorType(reader.String("StreamName").status()), "SerializationException");
  EXPECT_EQ(common::ErrorType(reader.Integer("Limit").status()), "SerializationException");
  EXPECT_EQ(common::ErrorType(reader.Blob("Data").status()), "SerializationException");
}

TEST(DocumentTest, BadBodiesAreRefused) {
  EXPECT_EQ(common::ErrorType(ParseBody("{not json", BodyEncoding::kJson).status()),
            "SerializationException");
  EXPECT_EQ(common::ErrorType(ParseBody("[1,2]", BodyEncoding::kJson).status()),
            "SerializationException");
  EXPECT_EQ(common::ErrorType(ParseBody(std::string("\xa1\x61", 2), BodyEncoding::kCbor).status()),
            "SerializationException");
  EXPECT_TRUE(ParseBody("", BodyEncoding::kJson).ok());
}

// 16 MiB of empty arrays would be gigabytes as a parse tree: the count stops the parse.
TEST(DocumentTest, BodiesWithTooManyValuesAreRefused) {
  std::string json = "{\"A\":[";
  for (size_t i = 0; i < kMaxBodyValues; ++i) json += i == 0 ? "[]" : ",[]";
  json += "]}";
  absl::Status refused = ParseBody(json, BodyEncoding::kJson).status();
  EXPECT_EQ(common::ErrorType(refused), "SerializationException") << refused;
  EXPECT_NE(refused.message().find("100000 values"), std::string::npos) << refused;
  // CBOR: {"A": [_ [], [], … ]} (an indefinite array, as a hostile client would send it).
  std::string cbor = "\xa1\x61" "A\x9f";
  cbor += std::string(kMaxBodyValues, '\x80');
  cbor += "\xff";
  refused = ParseBody(cbor, BodyEncoding::kCbor).status();
  EXPECT_EQ(common::ErrorType(refused), "SerializationException") << refused;
  EXPECT_NE(refused.message().find("100000 values"), std::string::npos) << refused;
  // Just under the limit parses (the object, the array and its elements are all values).
  std::string fits = "{\"A\":[";
  for (size_t i = 0; i < kMaxBodyValues - 2; ++i) fits += i == 0 ? "1" : ",1";
  fits += "]}";
  EXPECT_TRUE(ParseBody(fits, BodyEncoding::kJson).ok());
  std::string cbor_fits = "\xa1\x61" "A\x9f";
  cbor_fits += std::string(kMaxBodyValues - 3, '\x01');  // CBOR counts the key too
  cbor_fits += "\xff";
  EXPECT_TRUE(ParseBody(cbor_fits, BodyEncoding::kCbor).ok());
}

TEST(DocumentTest, ContentTypes) {
  EXPECT_EQ(EncodingOfContentType("application/x-amz-json-1.1"), BodyEncoding::kJson);
  EXPECT_EQ(EncodingOfContentType("application/x-amz-cbor-1.1; charset=utf-8"),
            BodyEncoding::kCbor);
  EXPECT_FALSE(EncodingOfContentType("text/plain").has_value());
}

}  // namespace
}  // namespace eddy::broker::http
