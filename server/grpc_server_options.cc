#include "server/grpc_server_options.h"

#include <climits>

#include "grpcpp/server_builder.h"

namespace triggerfish::server {
namespace {

// The config says 0 for "off"; gRPC says INT_MAX ("never").
int OrNever(int ms) { return ms == 0 ? INT_MAX : ms; }

}  // namespace

void ApplyGrpcServerOptions(const ServerConfig& config, grpc::ServerBuilder* builder) {
  const ServerConfig::GrpcOptions& g = config.grpc;
  builder->SetMaxReceiveMessageSize(config.max_message_bytes);
  builder->SetMaxSendMessageSize(config.max_message_bytes);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, OrNever(g.keepalive_time_ms));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, g.keepalive_timeout_ms);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS,
                              g.keepalive_permit_without_calls ? 1 : 0);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                              g.min_ping_interval_ms);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, OrNever(g.max_connection_age_ms));
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                              OrNever(g.max_connection_age_grace_ms));
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, OrNever(g.max_connection_idle_ms));
  if (g.max_concurrent_streams > 0) {
    builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, g.max_concurrent_streams);
  }
}

}  // namespace triggerfish::server
