#include "server/observability/rpc_interceptor.h"

#include <chrono>
#include <string>

#include "grpcpp/support/server_interceptor.h"
#include "server/observability/metrics.h"
#include "server/observability/trace_context.h"
#include "spdlog/spdlog.h"

namespace triggerfish::server::observability {
namespace {

using grpc::experimental::InterceptionHookPoints;

class RpcObserver final : public grpc::experimental::Interceptor {
 public:
  RpcObserver(Metrics* metrics, Metrics::Rpc* rpc, const char* method)
      : metrics_(metrics), rpc_(rpc), method_(method != nullptr ? method : "unknown") {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      start_ = std::chrono::steady_clock::now();
      if (auto* metadata = methods->GetRecvInitialMetadata()) {
        trace_id_ = TraceIdOfMetadata(*metadata);
      }
      if (metrics_ != nullptr) metrics_->RpcStarted(rpc_);
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finish(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  void Finish(const grpc::Status& status) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const int code = status.error_code();
    if (metrics_ != nullptr) metrics_->RpcHandled(rpc_, code, seconds);
    const bool warn = LogsAsWarning(code);
    if (!spdlog::should_log(warn ? spdlog::level::warn : spdlog::level::debug)) return;
    ScopedTraceId scope(trace_id_);
    if (warn) {
      spdlog::warn("rpc {} code={} duration_ms={:.3f} error=\"{}\"", method_, GrpcCodeName(code),
                   seconds * 1000, status.error_message());
    } else {
      spdlog::debug("rpc {} code={} duration_ms={:.3f}", method_, GrpcCodeName(code),
                    seconds * 1000);
    }
  }

  Metrics* metrics_;
  Metrics::Rpc* rpc_;
  const char* method_;
  std::string trace_id_;
  // Reset when the metadata arrives; creation is at the start of the call
  // too, so this is right even if that hook did not run.
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

class RpcObserverFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcObserverFactory(Metrics* metrics) : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    Metrics::Rpc* rpc = metrics_ != nullptr ? metrics_->ForRpc(info->method()) : nullptr;
    return new RpcObserver(metrics_, rpc, info->method());
  }

 private:
  Metrics* metrics_;
};

}  // namespace

bool LogsAsWarning(int code) {
  switch (static_cast<grpc::StatusCode>(code)) {
    case grpc::StatusCode::OK:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::OUT_OF_RANGE:
      return false;
    default:
      // UNKNOWN, DEADLINE_EXCEEDED, PERMISSION_DENIED, RESOURCE_EXHAUSTED,
      // UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED:
      // a fault, an overload, a misconfigured client or an intrusion
      // attempt that an operator wants to see without debug logging.
      return true;
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewRpcObserverFactory(
    Metrics* metrics) {
  return std::make_unique<RpcObserverFactory>(metrics);
}

}  // namespace triggerfish::server::observability
