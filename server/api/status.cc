#include "server/api/status.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "server/common/violations.h"

namespace triggerfish::server::api {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const std::string message(status.message());
  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(message);
  for (const char* type_url : {kBadRequestTypeUrl, kErrorInfoTypeUrl}) {
    if (auto payload = status.GetPayload(type_url)) {
      auto* any = details.add_details();
      any->set_type_url(type_url);
      any->set_value(std::string(*payload));
    }
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message,
                      details.SerializeAsString());
}

grpc::Status RequiredField(std::string_view field) {
  Violations v;
  v.Add(std::string(field), "required");
  return ToGrpcStatus(v.ToStatus("invalid request"));
}

}  // namespace triggerfish::server::api
