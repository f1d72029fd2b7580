#include "server/api/auth.h"

#include <openssl/sha.h>

#include "google/rpc/error_details.pb.h"
#include "server/common/strings.h"
#include "server/common/violations.h"

namespace triggerfish::server::api {
namespace {

// Who may call what. Roles are independent (a token lists each it needs):
// - admin configures: rules and agents (and reads them back), lists plugins
//   and actions, re-queues dead executions (and reads executions to find
//   them), and dry-runs events against rules it is writing;
// - publisher sends events, and dry-runs them;
// - reader reads what the engine holds: rules, tickets, executions, agents,
//   plugin state.
// docs/authentication.md shows this table; keep them in step.
constexpr RoleSet kAdmin = kRoleAdmin;
constexpr RoleSet kPublisher = kRolePublisher;
constexpr RoleSet kReader = kRoleReader;

const std::vector<MethodPolicy>& Table() {
  static const std::vector<MethodPolicy> table = {
      {Method::kCreateRule, "triggerfish.v1.RuleService/CreateRule", kAdmin},
      {Method::kGetRule, "triggerfish.v1.RuleService/GetRule", kAdmin | kReader},
      {Method::kListRules, "triggerfish.v1.RuleService/ListRules", kAdmin | kReader},
      {Method::kUpdateRule, "triggerfish.v1.RuleService/UpdateRule", kAdmin},
      {Method::kDeleteRule, "triggerfish.v1.RuleService/DeleteRule", kAdmin},
      {Method::kPublishEvent, "triggerfish.v1.EventService/PublishEvent", kPublisher},
      {Method::kPublishEvents, "triggerfish.v1.EventService/PublishEvents", kPublisher},
      {Method::kEvaluateEvent, "triggerfish.v1.EventService/EvaluateEvent", kPublisher | kAdmin},
      {Method::kGetTicket, "triggerfish.v1.TicketService/GetTicket", kReader},
      {Method::kListTickets, "triggerfish.v1.TicketService/ListTickets", kReader},
      {Method::kListExecutions, "triggerfish.v1.ExecutionService/ListExecutions", kReader | kAdmin},
      {Method::kGetExecution, "triggerfish.v1.ExecutionService/GetExecution", kReader | kAdmin},
      {Method::kRetryExecution, "triggerfish.v1.ExecutionService/RetryExecution", kAdmin},
      {Method::kCreateAgent, "triggerfish.v1.AgentService/CreateAgent", kAdmin},
      {Method::kUpsertAgent, "triggerfish.v1.AgentService/UpsertAgent", kAdmin},
      {Method::kGetAgent, "triggerfish.v1.AgentService/GetAgent", kAdmin | kReader},
      {Method::kListAgents, "triggerfish.v1.AgentService/ListAgents", kAdmin | kReader},
      {Method::kUpdateAgent, "triggerfish.v1.AgentService/UpdateAgent", kAdmin},
      {Method::kDeleteAgent, "triggerfish.v1.AgentService/DeleteAgent", kAdmin},
      {Method::kListPlugins, "triggerfish.v1.PluginService/ListPlugins", kAdmin},
      {Method::kListActions, "triggerfish.v1.PluginService/ListActions", kAdmin},
      {Method::kListPluginState, "triggerfish.v1.PluginService/ListPluginState", kReader},
  };
  return table;
}

// The table is indexed by Method: checked once, at first use.
const bool kTableInOrder = [] {
  const auto& table = Table();
  if (table.size() != static_cast<size_t>(Method::kCount)) std::abort();
  for (size_t i = 0; i < table.size(); ++i) {
    if (static_cast<size_t>(table[i].method) != i) std::abort();
  }
  return true;
}();

absl::Status Unauthenticated() {
  // One message for a missing header, a malformed one and an unknown token:
  // the difference would only help someone guessing.
  return WithReason(absl::UnauthenticatedError(
                        "a valid bearer token is required (metadata \"authorization: Bearer "
                        "<token>\")"),
                    "UNAUTHENTICATED");
}

absl::Status PermissionDenied(const MethodPolicy& policy) {
  const std::string roles = RoleNames(policy.roles);
  const bool one = roles.find(',') == std::string::npos;
  absl::Status status = absl::PermissionDeniedError(
      StrCat(policy.full_name, one ? " needs the role " : " needs one of the roles ", roles,
             ", which this token does not have"));
  google::rpc::ErrorInfo info;
  info.set_reason("ROLE_REQUIRED");
  info.set_domain("triggerfish.dev");
  (*info.mutable_metadata())["method"] = std::string(policy.full_name);
  (*info.mutable_metadata())["roles"] = roles;
  status.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

// The token of "Bearer <token>" (scheme case-insensitive, RFC 6750), or ""
// when the value has another form.
std::string_view BearerToken(std::string_view value) {
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    const char c = value[i];
    if ((c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) != kScheme[i]) return {};
  }
  std::string_view token = value.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

}  // namespace

const std::vector<MethodPolicy>& MethodPolicies() {
  (void)kTableInOrder;
  return Table();
}

const MethodPolicy* FindMethodPolicy(std::string_view full_name) {
  for (const auto& policy : Table()) {
    if (policy.full_name == full_name) return &policy;
  }
  return nullptr;
}

std::string Sha256(std::string_view data) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

Authorizer::Authorizer(const AuthConfig& config)
    : enabled_(config.enabled), default_caller_{kDefaultTenant, "", kAllRoles} {
  for (const auto& token : config.tokens) {
    callers_.emplace(token.sha256, Caller{token.tenant, token.name, token.roles});
  }
}

absl::StatusOr<const Caller*> Authorizer::Authorize(const grpc::ServerContextBase& context,
                                                    Method method) const {
  if (!enabled_) return &default_caller_;
  const auto& metadata = context.client_metadata();
  // A second authorization header is refused rather than guessed between.
  if (metadata.count("authorization") != 1) return Unauthenticated();
  const grpc::string_ref value = metadata.find("authorization")->second;
  const std::string_view token = BearerToken(std::string_view(value.data(), value.size()));
  if (token.empty()) return Unauthenticated();
  // The digest, not the token, is the key: the lookup's timing depends on
  // a hash of the digest, which says nothing about tokens close to this one.
  auto it = callers_.find(Sha256(token));
  if (it == callers_.end()) return Unauthenticated();
  const MethodPolicy& policy = Table()[static_cast<size_t>(method)];
  if ((it->second.roles & policy.roles) == 0) return PermissionDenied(policy);
  return &it->second;
}

}  // namespace triggerfish::server::api
