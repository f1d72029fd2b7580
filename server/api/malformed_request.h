#pragma once

// A server interceptor that turns "the request could not be parsed" into
// INVALID_ARGUMENT. gRPC answers a request whose bytes are not a valid
// message of the method's type (invalid UTF-8 in a string field, nesting
// deeper than protobuf's limit of 100, or not protobuf at all) with INTERNAL
// and an empty message, as if the server had failed; it is the client's
// input that is wrong, and it should know that retrying will not help.
//
//   std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> v;
//   v.push_back(api::NewMalformedRequestInterceptorFactory());
//   builder.experimental().SetInterceptorCreators(std::move(v));

#include <memory>
#include <string_view>

#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"

namespace triggerfish::server::api {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewMalformedRequestInterceptorFactory();

// The INVALID_ARGUMENT (ErrorInfo reason MALFORMED_REQUEST) for a request to
// `method` ("/triggerfish.v1.EventService/PublishEvent") that does not parse;
// also used by the methods that parse their own requests.
grpc::Status MalformedRequestStatus(std::string_view method);

}  // namespace triggerfish::server::api
