#include "server/api/execution_service.h"

#include <charconv>
#include <chrono>

#include "absl/strings/escaping.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "server/api/auth.h"
#include "server/api/status.h"
#include "server/common/page_bytes.h"
#include "server/common/strings.h"
#include "server/common/violations.h"

namespace triggerfish::server::api {
namespace {

using google::protobuf::util::TimeUtil;

void Fill(const store::ExecutionRow& row, v1::Execution* out) {
  out->set_id(row.id);
  out->set_event_id(row.event_id);
  out->set_ticket_id(row.ticket_id);
  out->set_rule_id(row.rule_id);
  out->set_action_index(row.action_index);
  out->set_action_type(row.action_type);
  out->set_mode(static_cast<v1::ActionMode>(row.mode));
  out->set_status(static_cast<v1::ExecutionStatus>(row.status));
  out->set_operation_id(row.operation_id);
  out->set_trace_id(row.trace_id);
  out->set_error(row.error);
  for (const auto& a : row.attempt_rows) {
    v1::Attempt* attempt = out->add_attempts();
    attempt->set_number(a.number);
    attempt->set_status(static_cast<v1::ExecutionStatus>(a.status));
    attempt->set_error(a.error);
    *attempt->mutable_start_time() = TimeUtil::MicrosecondsToTimestamp(a.start_us);
    *attempt->mutable_end_time() = TimeUtil::MicrosecondsToTimestamp(a.end_us);
  }
  if (!row.output_json.empty()) {
    (void)google::protobuf::util::JsonStringToMessage(row.output_json, out->mutable_output());
  }
  if (!row.patch.empty()) out->mutable_ticket_patch()->ParseFromString(row.patch);
  if (row.status == v1::EXECUTION_STATUS_QUEUED) {
    *out->mutable_next_attempt_time() = TimeUtil::MicrosecondsToTimestamp(row.next_attempt_us);
  }
  *out->mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row.created_us);
  *out->mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(row.updated_us);
}

absl::Status NotFound(const std::string& id) {
  return WithReason(absl::NotFoundError(StrCat("execution \"", id, "\" not found")),
                    "EXECUTION_NOT_FOUND");
}

// Page token: "<created_us>:<id>:<filter fingerprint>".
std::string Fingerprint(const v1::ListExecutionsRequest& r) {
  return StrCat(r.ticket_id(), "|", r.rule_id(), "|", r.action_type(), "|", r.event_id(), "|",
                static_cast<int>(r.status()), "|", r.start_time().seconds(), "|",
                r.end_time().seconds());
}

}  // namespace

grpc::Status ExecutionService::ListExecutions(grpc::ServerContext* context,
                                              const v1::ListExecutionsRequest* request,
                                              v1::ListExecutionsResponse* response) {
  auto caller = auth_->Authorize(*context, Method::kListExecutions);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  Violations v;
  if (request->page_size() < 0 || request->page_size() > 1000) {
    v.Add("page_size", "must be between 0 and 1000");
  }
  if (!v1::ExecutionStatus_IsValid(request->status())) {
    v.Add("status", StrCat("unknown status number ", static_cast<int>(request->status())));
  }
  store::ExecutionFilter filter;
  filter.ticket_id = request->ticket_id();
  filter.rule_id = request->rule_id();
  filter.action_type = request->action_type();
  filter.event_id = request->event_id();
  filter.status = request->status();
  if (request->has_start_time()) {
    filter.start_us = TimeUtil::TimestampToMicroseconds(request->start_time());
  }
  if (request->has_end_time())
    filter.end_us = TimeUtil::TimestampToMicroseconds(request->end_time());
  if (!request->page_token().empty()) {
    std::string raw;
    bool ok = absl::WebSafeBase64Unescape(request->page_token(), &raw);
    const size_t a = raw.find(':');
    const size_t b = a == std::string::npos ? a : raw.find(':', a + 1);
    if (ok && b != std::string::npos) {
      auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + a, filter.before_created_us);
      ok = ec == std::errc() && ptr == raw.data() + a && raw.substr(b + 1) == Fingerprint(*request);
      filter.before_id = raw.substr(a + 1, b - a - 1);
    } else {
      ok = false;
    }
    if (!ok) v.Add("page_token", "malformed page token, or one from a listing with other filters");
  }
  if (!v.empty()) return ToGrpcStatus(v.ToStatus("invalid list request"));
  const int page_size = request->page_size() == 0 ? 100 : request->page_size();
  auto rows = store_->ListExecutions((*caller)->tenant, filter, page_size + 1);
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  bool more = static_cast<int>(rows->size()) > page_size;
  if (more) rows->resize(page_size);
  size_t bytes = 0;
  size_t kept = 0;
  while (kept < rows->size()) {
    v1::Execution* execution = response->add_executions();
    Fill((*rows)[kept++], execution);
    bytes += execution->ByteSizeLong();
    if (bytes > MaxPageBytes() && kept < rows->size()) {
      more = true;  // the rest on the next page
      break;
    }
  }
  if (more) {
    const auto& last = (*rows)[kept - 1];
    response->set_next_page_token(absl::WebSafeBase64Escape(
        StrCat(last.created_us, ":", last.id, ":", Fingerprint(*request))));
  }
  return grpc::Status::OK;
}

grpc::Status ExecutionService::GetExecution(grpc::ServerContext* context,
                                            const v1::GetExecutionRequest* request,
                                            v1::Execution* response) {
  auto caller = auth_->Authorize(*context, Method::kGetExecution);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (request->id().empty()) return RequiredField("id");
  auto row = store_->GetExecution((*caller)->tenant, request->id());
  if (!row.ok()) return ToGrpcStatus(row.status());
  if (!row->has_value()) return ToGrpcStatus(NotFound(request->id()));
  Fill(**row, response);
  return grpc::Status::OK;
}

grpc::Status ExecutionService::RetryExecution(grpc::ServerContext* context,
                                              const v1::RetryExecutionRequest* request,
                                              v1::Execution* response) {
  auto caller = auth_->Authorize(*context, Method::kRetryExecution);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (request->id().empty()) return RequiredField("id");
  const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto row = store_->RequeueExecution((*caller)->tenant, request->id(), now);
  if (!row.ok()) return ToGrpcStatus(row.status());
  Fill(*row, response);
  if (requeued_) requeued_();
  return grpc::Status::OK;
}

}  // namespace triggerfish::server::api
