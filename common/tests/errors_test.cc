#include "common/errors.h"

#include <gtest/gtest.h>

namespace eddy::common {
namespace {

TEST(ErrorsTest, NamesMapToCodes) {
  EXPECT_EQ(ResourceNotFound("x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ResourceInUse("x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(InvalidArgument("x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidationError("x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LimitExceeded("x").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ThroughputExceeded("x").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ExpiredIterator("x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(InternalFailure("x").code(), absl::StatusCode::kInternal);
}

TEST(ErrorsTest, TheNameSurvivesAndDefaultsFromTheCode) {
  EXPECT_EQ(ErrorType(ExpiredIterator("old")), kExpiredIterator);
  EXPECT_EQ(ErrorType(ValidationError("v")), kValidation);
  EXPECT_EQ(ErrorType(absl::NotFoundError("x")), kResourceNotFound);
  EXPECT_EQ(ErrorType(absl::UnavailableError("x")), kInternalFailure);
  EXPECT_EQ(ErrorType(absl::OkStatus()), "");
}

TEST(ErrorsTest, OnlyTransientFailuresAreRetryable) {
  EXPECT_TRUE(IsRetryable(ThroughputExceeded("slow down")));
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("broker down")));
  EXPECT_TRUE(IsRetryable(InternalFailure("x")));
  EXPECT_FALSE(IsRetryable(LimitExceeded("too many shards")));
  EXPECT_FALSE(IsRetryable(InvalidArgument("bad")));
  EXPECT_FALSE(IsRetryable(ResourceNotFound("gone")));
}

}  // namespace
}  // namespace eddy::common
