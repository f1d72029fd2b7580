#include "server/api/rule_service.h"

#include "server/api/auth.h"
#include "server/api/status.h"

namespace triggerfish::server::api {
namespace {

template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status RuleService::CreateRule(grpc::ServerContext* context,
                                     const v1::CreateRuleRequest* request, v1::Rule* response) {
  auto caller = auth_->Authorize(*context, Method::kCreateRule);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return Reply(rules_->Create((*caller)->tenant, *request), response);
}

grpc::Status RuleService::GetRule(grpc::ServerContext* context, const v1::GetRuleRequest* request,
                                  v1::Rule* response) {
  auto caller = auth_->Authorize(*context, Method::kGetRule);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (request->id().empty()) return RequiredField("id");
  return Reply(rules_->Get((*caller)->tenant, request->id()), response);
}

grpc::Status RuleService::ListRules(grpc::ServerContext* context,
                                    const v1::ListRulesRequest* request,
                                    v1::ListRulesResponse* response) {
  auto caller = auth_->Authorize(*context, Method::kListRules);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return Reply(rules_->List((*caller)->tenant, *request), response);
}

grpc::Status RuleService::UpdateRule(grpc::ServerContext* context,
                                     const v1::UpdateRuleRequest* request, v1::Rule* response) {
  auto caller = auth_->Authorize(*context, Method::kUpdateRule);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return Reply(rules_->Update((*caller)->tenant, *request), response);
}

grpc::Status RuleService::DeleteRule(grpc::ServerContext* context,
                                     const v1::DeleteRuleRequest* request,
                                     google::protobuf::Empty*) {
  auto caller = auth_->Authorize(*context, Method::kDeleteRule);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return ToGrpcStatus(rules_->Delete((*caller)->tenant, *request));
}

}  // namespace triggerfish::server::api
