#pragma once

// Field violations collected while validating a request, and their conversion
// to an absl::Status that carries a google.rpc.BadRequest payload.
//
//   Violations v;
//   v.Add("rule.name", "must not be empty");
//   if (!v.empty()) return v.ToStatus("rule is invalid");

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace triggerfish::server {

// Type URL under which a serialized google.rpc.BadRequest is attached to an
// absl::Status payload; the API layer turns it into a gRPC status detail.
inline constexpr char kBadRequestTypeUrl[] = "type.googleapis.com/google.rpc.BadRequest";
// Type URL of a serialized google.rpc.ErrorInfo payload.
inline constexpr char kErrorInfoTypeUrl[] = "type.googleapis.com/google.rpc.ErrorInfo";

struct FieldViolation {
  std::string field;
  std::string description;
};

class Violations {
 public:
  void Add(std::string field, std::string description) {
    items_.push_back({std::move(field), std::move(description)});
  }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<FieldViolation>& items() const { return items_; }

  // INVALID_ARGUMENT whose message is `summary` followed by the first
  // violations, with every violation in a BadRequest payload.
  absl::Status ToStatus(std::string_view summary) const;

 private:
  std::vector<FieldViolation> items_;
};

// Attaches a google.rpc.ErrorInfo with `reason` (domain "triggerfish.dev").
absl::Status WithReason(absl::Status status, std::string_view reason);

}  // namespace triggerfish::server
