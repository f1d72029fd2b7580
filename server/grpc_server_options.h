#pragma once

// Applies the connection management settings of the config (the `grpc:` keys
// and max_message_bytes) to a grpc::ServerBuilder: keepalive and ping policy,
// maximum connection age (so clients behind an L7 load balancer or a mesh
// sidecar reconnect now and then and spread over new replicas), idle
// connections, concurrent streams per connection and message sizes.
//
//   grpc::ServerBuilder builder;
//   ApplyGrpcServerOptions(config, &builder);

#include "server/config/config.h"

namespace grpc {
class ServerBuilder;
}

namespace triggerfish::server {

void ApplyGrpcServerOptions(const ServerConfig& config, grpc::ServerBuilder* builder);

}  // namespace triggerfish::server
