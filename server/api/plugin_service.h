#pragma once

// gRPC adapter of PluginService: what the PluginHost loaded.

#include "server/api/auth.h"
#include "server/plugins/plugin_host.h"
#include "server/store/store.h"
#include "triggerfish/v1/plugin_service.grpc.pb.h"

namespace triggerfish::server::api {

class PluginService final : public v1::PluginService::Service {
 public:
  PluginService(const Authorizer* auth, const plugins::PluginHost* host, store::Store* store)
      : auth_(auth), host_(host), store_(store) {}

  grpc::Status ListPlugins(grpc::ServerContext* context, const v1::ListPluginsRequest* request,
                           v1::ListPluginsResponse* response) override;
  grpc::Status ListActions(grpc::ServerContext* context, const v1::ListActionsRequest* request,
                           v1::ListActionsResponse* response) override;
  grpc::Status ListPluginState(grpc::ServerContext* context,
                               const v1::ListPluginStateRequest* request,
                               v1::ListPluginStateResponse* response) override;

 private:
  const Authorizer* auth_;
  const plugins::PluginHost* host_;
  store::Store* store_;
};

}  // namespace triggerfish::server::api
