#include "server/common/violations.h"

#include "absl/strings/cord.h"
#include "google/rpc/error_details.pb.h"
#include "server/common/strings.h"

namespace triggerfish::server {

absl::Status Violations::ToStatus(std::string_view summary) const {
  std::string message(summary);
  constexpr size_t kShown = 3;
  for (size_t i = 0; i < items_.size() && i < kShown; ++i) {
    StrAppend(&message, i == 0 ? ": " : "; ", items_[i].field, ": ", items_[i].description);
  }
  if (items_.size() > kShown) {
    StrAppend(&message, " (and ", items_.size() - kShown, " more)");
  }
  absl::Status status = absl::InvalidArgumentError(message);
  google::rpc::BadRequest bad_request;
  for (const auto& item : items_) {
    auto* v = bad_request.add_field_violations();
    v->set_field(item.field);
    v->set_description(item.description);
  }
  status.SetPayload(kBadRequestTypeUrl, absl::Cord(bad_request.SerializeAsString()));
  return status;
}

absl::Status WithReason(absl::Status status, std::string_view reason) {
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain("triggerfish.dev");
  status.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

}  // namespace triggerfish::server
