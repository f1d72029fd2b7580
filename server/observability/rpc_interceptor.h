#pragma once

// One gRPC server interceptor observes every call, whatever the service
// (including grpc.health.v1 and reflection, and RPCs added later): it counts
// calls and their latency per method and status code (Metrics), and logs
// one line per call at debug, or at warn when the status code points at the
// server or the deployment rather than the caller (see LogsAsWarning). The
// lines carry the trace id of the call's W3C `traceparent`.
//
//   std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> v;
//   v.push_back(NewRpcObserverFactory(&metrics));
//   builder.experimental().SetInterceptorCreators(std::move(v));

#include <memory>

namespace grpc::experimental {
class ServerInterceptorFactoryInterface;
}

namespace triggerfish::server::observability {

class Metrics;

// `metrics` (null: none recorded) must outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewRpcObserverFactory(
    Metrics* metrics);

// Whether a call that ended with `code` is logged at warn. The caller's own
// mistakes and expected outcomes (OK, CANCELLED, INVALID_ARGUMENT,
// NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE) are
// debug lines only; the metrics count them all.
bool LogsAsWarning(int code);

}  // namespace triggerfish::server::observability
