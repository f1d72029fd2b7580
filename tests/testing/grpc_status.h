#pragma once

// Reads the google.rpc.Status details of a failed gRPC call in tests.

#include <map>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/status.h"

namespace triggerfish::testing {

// field path -> description of every BadRequest field violation.
inline std::map<std::string, std::string> FieldViolations(const grpc::Status& status) {
  std::map<std::string, std::string> out;
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return out;
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad_request;
    if (any.UnpackTo(&bad_request)) {
      for (const auto& v : bad_request.field_violations()) out[v.field()] = v.description();
    }
  }
  return out;
}

// The ErrorInfo reason, or empty.
inline std::string ErrorReason(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return "";
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

}  // namespace triggerfish::testing
