#pragma once

// gRPC adapter of ExecutionService: the audit trail and the outbox in the
// store.

#include <functional>

#include "server/api/auth.h"
#include "server/store/store.h"
#include "triggerfish/v1/execution_service.grpc.pb.h"

namespace triggerfish::server::api {

class ExecutionService final : public v1::ExecutionService::Service {
 public:
  // `requeued` wakes the outbox workers after RetryExecution.
  ExecutionService(const Authorizer* auth, store::Store* store, std::function<void()> requeued)
      : auth_(auth), store_(store), requeued_(std::move(requeued)) {}

  grpc::Status ListExecutions(grpc::ServerContext* context,
                              const v1::ListExecutionsRequest* request,
                              v1::ListExecutionsResponse* response) override;
  grpc::Status GetExecution(grpc::ServerContext* context, const v1::GetExecutionRequest* request,
                            v1::Execution* response) override;
  grpc::Status RetryExecution(grpc::ServerContext* context,
                              const v1::RetryExecutionRequest* request,
                              v1::Execution* response) override;

 private:
  const Authorizer* auth_;
  store::Store* store_;
  std::function<void()> requeued_;
};

}  // namespace triggerfish::server::api
