#pragma once

// gRPC adapter of PluginService: what the PluginHost loaded.

#include "server/plugins/plugin_host.h"
#include "triggerfish/v1/plugin_service.grpc.pb.h"

namespace triggerfish::server::api {

class PluginService final : public v1::PluginService::Service {
 public:
  explicit PluginService(const plugins::PluginHost* host) : host_(host) {}

  grpc::Status ListPlugins(grpc::ServerContext* context, const v1::ListPluginsRequest* request,
                           v1::ListPluginsResponse* response) override;
  grpc::Status ListActions(grpc::ServerContext* context, const v1::ListActionsRequest* request,
                           v1::ListActionsResponse* response) override;

 private:
  const plugins::PluginHost* host_;
};

}  // namespace triggerfish::server::api
