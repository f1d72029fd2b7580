#include "server/observability/trace_context.h"

#include "grpcpp/server_context.h"

namespace triggerfish::server::observability {
namespace {

thread_local std::string current_trace_id;

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

}  // namespace

std::optional<TraceParent> ParseTraceparent(std::string_view value) {
  // version "-" trace-id "-" parent-id "-" trace-flags
  constexpr size_t kLength = 2 + 1 + 32 + 1 + 16 + 1 + 2;
  if (value.size() < kLength) return std::nullopt;
  const std::string_view version = value.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  // Version 00 is exactly 55 characters; a future version may append fields
  // after another dash, which a version-00 reader skips.
  if (version == "00" ? value.size() != kLength : value.size() > kLength && value[kLength] != '-') {
    return std::nullopt;
  }
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  const std::string_view trace_id = value.substr(3, 32);
  const std::string_view parent_id = value.substr(36, 16);
  const std::string_view flags = value.substr(53, 2);
  if (!IsLowerHex(trace_id) || !IsLowerHex(parent_id) || !IsLowerHex(flags)) return std::nullopt;
  if (AllZero(trace_id) || AllZero(parent_id)) return std::nullopt;
  TraceParent parsed;
  parsed.trace_id = std::string(trace_id);
  parsed.parent_id = std::string(parent_id);
  parsed.flags = static_cast<uint8_t>(HexValue(flags[0]) * 16 + HexValue(flags[1]));
  return parsed;
}

std::string TraceIdOf(const grpc::ServerContextBase& context) {
  return TraceIdOfMetadata(context.client_metadata());
}

std::string TraceIdOfMetadata(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  // The spec allows one traceparent only; with several, none is trusted.
  if (metadata.count("traceparent") != 1) return "";
  const grpc::string_ref value = metadata.find("traceparent")->second;
  auto parsed = ParseTraceparent(std::string_view(value.data(), value.size()));
  return parsed ? std::move(parsed->trace_id) : std::string();
}

std::string_view CurrentTraceId() { return current_trace_id; }

ScopedTraceId::ScopedTraceId(std::string_view trace_id) : previous_(std::move(current_trace_id)) {
  current_trace_id.assign(trace_id);
}

ScopedTraceId::~ScopedTraceId() { current_trace_id = std::move(previous_); }

}  // namespace triggerfish::server::observability
