// W3C traceparent parsing (https://www.w3.org/TR/trace-context/#traceparent-header)
// and the per-thread trace id the log lines carry.

#include "server/observability/trace_context.h"

#include <thread>

#include "gtest/gtest.h"

namespace triggerfish::server::observability {
namespace {

constexpr char kValid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(ParseTraceparentTest, AcceptsTheSpecExample) {
  auto parsed = ParseTraceparent(kValid);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(parsed->parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(parsed->flags, 1);
}

TEST(ParseTraceparentTest, ReadsTheFlags) {
  auto parsed = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->flags, 0);
  parsed = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->flags, 255);
}

TEST(ParseTraceparentTest, RejectsMalformedValues) {
  const char* invalid[] = {
      "",
      "00",
      // all-zero trace id or parent id
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      // upper-case hex is not allowed
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",
      // wrong lengths
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
      // wrong separators, non-hex characters
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
      "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba9 2b7-01",
      // version 00 has exactly four fields
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ",
      // version ff is invalid; versions are two lower-case hex digits
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "AA-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      // a future version's extra fields follow a dash
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
  };
  for (const char* value : invalid) {
    EXPECT_FALSE(ParseTraceparent(value).has_value()) << '"' << value << '"';
  }
}

TEST(ParseTraceparentTest, AcceptsHigherVersionsWithTheSamePrefix) {
  // "If a higher version is detected, the implementation SHOULD try to parse
  // it" by the version-00 rules, ignoring what follows after a dash.
  auto parsed = ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  parsed = ParseTraceparent(
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->parent_id, "00f067aa0ba902b7");
}

TEST(ScopedTraceIdTest, NestsAndRestores) {
  EXPECT_EQ(CurrentTraceId(), "");
  {
    ScopedTraceId outer("aaaa");
    EXPECT_EQ(CurrentTraceId(), "aaaa");
    {
      ScopedTraceId inner("bbbb");
      EXPECT_EQ(CurrentTraceId(), "bbbb");
      ScopedTraceId cleared("");
      EXPECT_EQ(CurrentTraceId(), "");
    }
    EXPECT_EQ(CurrentTraceId(), "aaaa");
  }
  EXPECT_EQ(CurrentTraceId(), "");
}

TEST(ScopedTraceIdTest, IsPerThread) {
  ScopedTraceId scope("aaaa");
  std::string seen = "unset";
  std::thread([&] { seen = std::string(CurrentTraceId()); }).join();
  EXPECT_EQ(seen, "");
  EXPECT_EQ(CurrentTraceId(), "aaaa");
}

}  // namespace
}  // namespace triggerfish::server::observability
