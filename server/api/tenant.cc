#include "server/api/tenant.h"

namespace triggerfish::server::api {

std::string TenantOf(const grpc::ServerContext&) { return kDefaultTenant; }

}  // namespace triggerfish::server::api
