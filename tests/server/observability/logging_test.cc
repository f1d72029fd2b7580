// The log formats: JSON lines that any JSON parser reads back (escaping,
// invalid UTF-8, the trace id), and the plain format's trace id prefix.

#include "server/observability/logging.h"

#include <algorithm>
#include <memory>
#include <sstream>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/observability/trace_context.h"
#include "spdlog/logger.h"
#include "spdlog/sinks/ostream_sink.h"

namespace triggerfish::server::observability {
namespace {

// A logger writing `format` lines into a string.
class CapturedLog {
 public:
  explicit CapturedLog(LogFormat format)
      : sink_(std::make_shared<spdlog::sinks::ostream_sink_st>(out_)), logger_("test", sink_) {
    logger_.set_formatter(NewLogFormatter(format));
    logger_.set_level(spdlog::level::trace);
  }
  spdlog::logger& logger() { return logger_; }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_st> sink_;
  spdlog::logger logger_;
};

TEST(ParseLogFormatTest, KnowsPlainAndJson) {
  EXPECT_EQ(*ParseLogFormat("plain"), LogFormat::kPlain);
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("yaml").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseLogFormat("JSON").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(JsonLogTest, OneParseableObjectPerLine) {
  CapturedLog log(LogFormat::kJson);
  log.logger().info("served {} calls", 3);
  log.logger().warn("second");
  const std::string text = log.text();
  ASSERT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  const auto first = nlohmann::json::parse(line);
  EXPECT_EQ(first["level"], "info");
  EXPECT_EQ(first["msg"], "served 3 calls");
  EXPECT_FALSE(first.contains("trace_id"));
  // RFC 3339 UTC with microseconds: 2026-01-02T03:04:05.678901Z
  const std::string ts = first["ts"];
  ASSERT_EQ(ts.size(), 27u) << ts;
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts[19], '.');
  EXPECT_EQ(ts.back(), 'Z');
  std::getline(lines, line);
  EXPECT_EQ(nlohmann::json::parse(line)["level"], "warning");
}

TEST(JsonLogTest, EscapesWhatJsonCannotHoldRaw) {
  CapturedLog log(LogFormat::kJson);
  const std::string message = std::string("quote \" backslash \\ newline \n tab \t bell \x07 ") +
                              "nul " + std::string(1, '\0') + " utf-8 \xc3\xa9\xe2\x82\xac";
  log.logger().error("{}", message);
  const auto parsed = nlohmann::json::parse(log.text());
  EXPECT_EQ(parsed["msg"], message);
}

TEST(JsonLogTest, ReplacesInvalidUtf8) {
  CapturedLog log(LogFormat::kJson);
  // A lone continuation byte, a truncated sequence, an overlong encoding
  // and a surrogate.
  log.logger().info("a\x80 b\xc3 c\xc0\xaf d\xed\xa0\x80 e");
  const auto parsed = nlohmann::json::parse(log.text());  // throws on invalid UTF-8
  const std::string msg = parsed["msg"];
  EXPECT_EQ(msg.rfind("a\xef\xbf\xbd b\xef\xbf\xbd c", 0), 0u) << msg;
  EXPECT_NE(msg.find(" e"), std::string::npos);
}

TEST(JsonLogTest, CarriesTheThreadsTraceId) {
  CapturedLog log(LogFormat::kJson);
  {
    ScopedTraceId scope("4bf92f3577b34da6a3ce929d0e0e4736");
    log.logger().info("traced");
  }
  log.logger().info("untraced");
  std::istringstream lines(log.text());
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(nlohmann::json::parse(line)["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  std::getline(lines, line);
  EXPECT_FALSE(nlohmann::json::parse(line).contains("trace_id"));
}

TEST(PlainLogTest, PrefixesTheTraceIdWhenKnown) {
  CapturedLog log(LogFormat::kPlain);
  {
    ScopedTraceId scope("4bf92f3577b34da6a3ce929d0e0e4736");
    log.logger().info("traced");
  }
  log.logger().info("untraced");
  const std::string text = log.text();
  EXPECT_NE(text.find("[info] [trace_id=4bf92f3577b34da6a3ce929d0e0e4736] traced\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("[info] untraced\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace triggerfish::server::observability
