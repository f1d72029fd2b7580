#pragma once

// Who is calling: the tenant whose data a request reads and writes. It comes
// from the caller's credentials, never from a request field. With
// authentication off (development) every caller is tenant "default".

#include <string>

#include "grpcpp/server_context.h"

namespace triggerfish::server::api {

inline constexpr char kDefaultTenant[] = "default";

std::string TenantOf(const grpc::ServerContext& context);

}  // namespace triggerfish::server::api
