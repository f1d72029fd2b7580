#pragma once

// Who is calling and whether they may: every RPC of every triggerfish.v1
// service starts with Authorize(), before it looks anything up, so that a
// caller without the right learns nothing (not even whether an id exists).
//
// The caller presents `authorization: Bearer <token>`; the token is hashed
// (SHA-256) and looked up among the configured digests, which gives its
// tenant and roles. The tenant of every read and write comes from here,
// never from a request field. With authentication off (development) every
// caller is tenant "default" with every role.
//
//   auto caller = auth_->Authorize(*context, Method::kCreateRule);
//   if (!caller.ok()) return ToGrpcStatus(caller.status());
//   rules_->Create((*caller)->tenant, *request);
//
// Which roles each method accepts is the table kMethodPolicies in auth.cc,
// the one place that decides it (docs/authentication.md shows it).
// grpc.health.v1 and server reflection are not triggerfish.v1 services and
// stay open, for probes and grpcurl.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"
#include "server/config/security_config.h"

namespace triggerfish::server::api {

inline constexpr char kDefaultTenant[] = "default";

// Every RPC of the triggerfish.v1 services.
enum class Method : uint8_t {
  kCreateRule,
  kGetRule,
  kListRules,
  kUpdateRule,
  kDeleteRule,
  kPublishEvent,
  kPublishEvents,
  kEvaluateEvent,
  kGetTicket,
  kListTickets,
  kListExecutions,
  kGetExecution,
  kRetryExecution,
  kCreateAgent,
  kUpsertAgent,
  kGetAgent,
  kListAgents,
  kUpdateAgent,
  kDeleteAgent,
  kListPlugins,
  kListActions,
  kListPluginState,
  kCount,
};

struct MethodPolicy {
  Method method;
  // "triggerfish.v1.RuleService/CreateRule".
  std::string_view full_name;
  // A caller holding any of these roles may call the method.
  RoleSet roles;
};

// The policy of every Method, indexed by the enum's value.
const std::vector<MethodPolicy>& MethodPolicies();
// The policy for "triggerfish.v1.RuleService/CreateRule", or null.
const MethodPolicy* FindMethodPolicy(std::string_view full_name);

// An authenticated caller. Lives as long as the Authorizer.
struct Caller {
  std::string tenant;
  // The token's configured name (for logs), "" with authentication off.
  std::string name;
  RoleSet roles = 0;
};

class Authorizer {
 public:
  explicit Authorizer(const AuthConfig& config);

  // The caller of `context` if it may call `method`:
  // - authentication off: the default caller (tenant "default", every role);
  // - no `authorization` metadata, not "Bearer <token>", or an unknown
  //   token: UNAUTHENTICATED (ErrorInfo reason "UNAUTHENTICATED"; the
  //   message does not say which of these it was);
  // - a known token without a role `method` accepts: PERMISSION_DENIED
  //   naming the roles that would do (ErrorInfo reason "ROLE_REQUIRED").
  // Thread-safe; costs one SHA-256 of the token and one hash lookup.
  absl::StatusOr<const Caller*> Authorize(const grpc::ServerContextBase& context,
                                          Method method) const;

  bool enabled() const { return enabled_; }

 private:
  bool enabled_;
  Caller default_caller_;
  // SHA-256 of the token (32 raw bytes) -> caller.
  std::unordered_map<std::string, Caller> callers_;
};

// SHA-256 of `data` as 32 raw bytes.
std::string Sha256(std::string_view data);

}  // namespace triggerfish::server::api
