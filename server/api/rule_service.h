#pragma once

// gRPC adapter of RuleService: takes the tenant from the call, delegates to
// the RuleManager, maps the result.

#include "server/api/auth.h"
#include "server/rules/rule_manager.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish::server::api {

class RuleService final : public v1::RuleService::Service {
 public:
  RuleService(const Authorizer* auth, rules::RuleManager* rules) : auth_(auth), rules_(rules) {}

  grpc::Status CreateRule(grpc::ServerContext* context, const v1::CreateRuleRequest* request,
                          v1::Rule* response) override;
  grpc::Status GetRule(grpc::ServerContext* context, const v1::GetRuleRequest* request,
                       v1::Rule* response) override;
  grpc::Status ListRules(grpc::ServerContext* context, const v1::ListRulesRequest* request,
                         v1::ListRulesResponse* response) override;
  grpc::Status UpdateRule(grpc::ServerContext* context, const v1::UpdateRuleRequest* request,
                          v1::Rule* response) override;
  grpc::Status DeleteRule(grpc::ServerContext* context, const v1::DeleteRuleRequest* request,
                          google::protobuf::Empty* response) override;

 private:
  const Authorizer* auth_;
  rules::RuleManager* rules_;
};

}  // namespace triggerfish::server::api
