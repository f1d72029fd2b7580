#pragma once

// The one place where engine results become gRPC statuses: an absl::Status
// maps to the gRPC code of the same number, and its BadRequest / ErrorInfo
// payloads become google.rpc.Status details (grpc-status-details-bin).

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace triggerfish::server::api {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace triggerfish::server::api
