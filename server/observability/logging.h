#pragma once

// Log line formats of triggerfishd (spdlog), chosen with `log_format`:
//
//   plain: [2026-01-02 03:04:05.678] [info] [trace_id=4bf9...4736] message
//   json:  {"ts":"2026-01-02T03:04:05.678901Z","level":"info","msg":"message",
//           "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}
//
// One JSON object per line; `trace_id` (and the plain prefix) appear when
// the thread works for a traced request (ScopedTraceId). Invalid UTF-8 in a
// message is replaced by U+FFFD so every line stays valid JSON.

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "spdlog/formatter.h"

namespace triggerfish::server::observability {

enum class LogFormat { kPlain, kJson };

// "plain" or "json"; INVALID_ARGUMENT otherwise.
absl::StatusOr<LogFormat> ParseLogFormat(std::string_view name);

// A formatter for `format`.
std::unique_ptr<spdlog::formatter> NewLogFormatter(LogFormat format);

// Installs NewLogFormatter(format) on every spdlog logger (the default one
// included).
void SetLogFormat(LogFormat format);

}  // namespace triggerfish::server::observability
