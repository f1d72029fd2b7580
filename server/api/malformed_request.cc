#include "server/api/malformed_request.h"

#include <atomic>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/status.h"

namespace triggerfish::server::api {
namespace {

class MalformedRequestInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MalformedRequestInterceptor(grpc::experimental::ServerRpcInfo* info)
      : method_(info->method() != nullptr ? info->method() : "") {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    // The sync server hands interceptors a null message when it could not
    // deserialize the request (a stream's end is also null, but its status
    // is never the parse failure's INTERNAL).
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      unparsed_.store(true, std::memory_order_relaxed);
    }
    if (unparsed_.load(std::memory_order_relaxed) &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        methods->GetSendStatus().error_code() == grpc::StatusCode::INTERNAL) {
      methods->ModifySendStatus(Replacement());
    }
    methods->Proceed();
  }

 private:
  grpc::Status Replacement() const { return MalformedRequestStatus(method_); }

  const std::string method_;
  // Atomic: on a stream, gRPC runs the hooks of a read (on one of its threads)
  // and of a write (on the thread that starts it) at the same time.
  std::atomic<bool> unparsed_{false};
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MalformedRequestInterceptor(info);
  }
};

}  // namespace

grpc::Status MalformedRequestStatus(std::string_view method) {
  const std::string message =
      "cannot parse the request to " + std::string(method) +
      ": its bytes are not a valid message of the request type (a string field with invalid "
      "UTF-8, nesting deeper than 100 levels, or not protobuf)";
  google::rpc::Status details;
  details.set_code(grpc::StatusCode::INVALID_ARGUMENT);
  details.set_message(message);
  google::rpc::ErrorInfo info;
  info.set_reason("MALFORMED_REQUEST");
  info.set_domain("triggerfish");
  details.add_details()->PackFrom(info);
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message, details.SerializeAsString());
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewMalformedRequestInterceptorFactory() {
  return std::make_unique<Factory>();
}

}  // namespace triggerfish::server::api
