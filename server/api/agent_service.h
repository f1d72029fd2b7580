#pragma once

// gRPC adapter of AgentService: the tenant's agents in the store.

#include "server/actions/host_api.h"
#include "server/api/auth.h"
#include "server/store/store.h"
#include "triggerfish/v1/agent_service.grpc.pb.h"

namespace triggerfish::server::api {

class AgentService final : public v1::AgentService::Service {
 public:
  // `agents` is told about every change.
  AgentService(const Authorizer* auth, store::Store* store, actions::AgentCache* agents)
      : auth_(auth), store_(store), agents_(agents) {}

  grpc::Status CreateAgent(grpc::ServerContext* context, const v1::CreateAgentRequest* request,
                           v1::Agent* response) override;
  grpc::Status UpsertAgent(grpc::ServerContext* context, const v1::UpsertAgentRequest* request,
                           v1::Agent* response) override;
  grpc::Status GetAgent(grpc::ServerContext* context, const v1::GetAgentRequest* request,
                        v1::Agent* response) override;
  grpc::Status ListAgents(grpc::ServerContext* context, const v1::ListAgentsRequest* request,
                          v1::ListAgentsResponse* response) override;
  grpc::Status UpdateAgent(grpc::ServerContext* context, const v1::UpdateAgentRequest* request,
                           v1::Agent* response) override;
  grpc::Status DeleteAgent(grpc::ServerContext* context, const v1::DeleteAgentRequest* request,
                           google::protobuf::Empty* response) override;

 private:
  // Validates, stamps and stores `agent`; returns it as stored.
  absl::StatusOr<v1::Agent> Put(const std::string& tenant, v1::Agent agent, bool create_only,
                                const std::string& expected_etag);
  void AddOpenTickets(const std::string& tenant, v1::Agent* agent);

  const Authorizer* auth_;
  store::Store* store_;
  actions::AgentCache* agents_;
};

}  // namespace triggerfish::server::api
