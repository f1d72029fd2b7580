#pragma once

// gRPC adapter of TicketService: the snapshots in the store.

#include "server/api/auth.h"
#include "server/store/store.h"
#include "triggerfish/v1/ticket_service.grpc.pb.h"

namespace triggerfish::server::api {

class TicketService final : public v1::TicketService::Service {
 public:
  TicketService(const Authorizer* auth, store::Store* store) : auth_(auth), store_(store) {}

  grpc::Status GetTicket(grpc::ServerContext* context, const v1::GetTicketRequest* request,
                         v1::TicketRecord* response) override;
  grpc::Status ListTickets(grpc::ServerContext* context, const v1::ListTicketsRequest* request,
                           v1::ListTicketsResponse* response) override;

 private:
  const Authorizer* auth_;
  store::Store* store_;
};

}  // namespace triggerfish::server::api
