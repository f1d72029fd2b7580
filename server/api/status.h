#pragma once

// The one place where engine results become gRPC statuses: an absl::Status
// maps to the gRPC code of the same number, and its BadRequest / ErrorInfo
// payloads become google.rpc.Status details (grpc-status-details-bin).

#include <string_view>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace triggerfish::server::api {

grpc::Status ToGrpcStatus(const absl::Status& status);

// INVALID_ARGUMENT with one field violation: `field` is required (an empty
// id is a malformed request, not a lookup of a missing resource).
grpc::Status RequiredField(std::string_view field);

}  // namespace triggerfish::server::api
