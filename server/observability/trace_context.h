#pragma once

// W3C Trace Context (https://www.w3.org/TR/trace-context/): the trace id of
// the `traceparent` header a caller sends, so that Triggerfish's log lines,
// events and executions can be joined with the caller's distributed trace.
//
//   traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
//                ^^ version  ^^ trace id (32 hex)    ^^ parent id   ^^ flags
//
//   std::string trace_id = TraceIdOf(*context);  // "" when absent or invalid
//   ScopedTraceId scope(trace_id);               // log lines on this thread carry it
//
// Triggerfish only reads the trace id: it does not start traces of its own
// and does not forward the header anywhere.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace grpc {
class ServerContextBase;
class string_ref;
}  // namespace grpc

namespace triggerfish::server::observability {

// The parts of a valid `traceparent` value.
struct TraceParent {
  std::string trace_id;   // 32 lower-case hex digits, not all zero
  std::string parent_id;  // 16 lower-case hex digits, not all zero
  uint8_t flags = 0;      // bit 0: sampled
};

// Parses a `traceparent` header value. Accepts version 00 exactly as the
// spec writes it (55 characters, lower-case hex, dashes, a trace id and a
// parent id that are not all zeros); a higher version is accepted when its
// first 55 characters have that shape and the next one, if any, is a dash
// (the spec's forward compatibility rule). Version ff and anything else are
// invalid: nullopt.
std::optional<TraceParent> ParseTraceparent(std::string_view value);

// The trace id of the call's `traceparent` metadata, or "" when there is
// none or it is invalid (a caller's malformed header is ignored, not an
// error).
std::string TraceIdOf(const grpc::ServerContextBase& context);
// The same over received metadata (for interceptors, which see the metadata
// before the handler's context has it).
std::string TraceIdOfMetadata(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

// The trace id the current thread works for ("" when none), as set by the
// innermost live ScopedTraceId. The log formatters add it to every line.
std::string_view CurrentTraceId();

// Sets the current thread's trace id for its lifetime, restoring the
// previous one afterwards. An empty id clears it for the scope.
class ScopedTraceId {
 public:
  explicit ScopedTraceId(std::string_view trace_id);
  ~ScopedTraceId();
  ScopedTraceId(const ScopedTraceId&) = delete;
  ScopedTraceId& operator=(const ScopedTraceId&) = delete;

 private:
  std::string previous_;
};

}  // namespace triggerfish::server::observability
