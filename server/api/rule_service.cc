#include "server/api/rule_service.h"

#include "server/api/status.h"
#include "server/api/tenant.h"

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
  return Reply(rules_->Create(TenantOf(*context), *request), response);
}

grpc::Status RuleService::GetRule(grpc::ServerContext* context, const v1::GetRuleRequest* request,
                                  v1::Rule* response) {
  return Reply(rules_->Get(TenantOf(*context), request->id()), response);
}

grpc::Status RuleService::ListRules(grpc::ServerContext* context,
                                    const v1::ListRulesRequest* request,
                                    v1::ListRulesResponse* response) {
  return Reply(rules_->List(TenantOf(*context), *request), response);
}

grpc::Status RuleService::UpdateRule(grpc::ServerContext* context,
                                     const v1::UpdateRuleRequest* request, v1::Rule* response) {
  return Reply(rules_->Update(TenantOf(*context), *request), response);
}

grpc::Status RuleService::DeleteRule(grpc::ServerContext* context,
                                     const v1::DeleteRuleRequest* request,
                                     google::protobuf::Empty*) {
  return ToGrpcStatus(rules_->Delete(TenantOf(*context), *request));
}

}  // namespace triggerfish::server::api
