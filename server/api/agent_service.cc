#include "server/api/agent_service.h"

#include <algorithm>
#include <random>

#include "google/protobuf/util/time_util.h"
#include "server/api/auth.h"
#include "server/api/paging.h"
#include "server/api/status.h"
#include "server/common/strings.h"
#include "server/common/violations.h"

namespace triggerfish::server::api {
namespace {

using google::protobuf::util::TimeUtil;

bool ValidAgentId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '@' || c == '-';
  });
}

void Validate(const v1::Agent& agent, Violations* v) {
  if (!ValidAgentId(agent.id())) {
    v->Add("agent.id", "must be 1-128 characters of [A-Za-z0-9._@-]");
  }
  if (agent.name().size() > 200) v->Add("agent.name", "longer than 200 bytes");
  if (agent.email().find_first_of("\r\n") != std::string::npos || agent.email().size() > 320) {
    v->Add("agent.email", "must be one line of at most 320 bytes");
  }
  if (agent.max_open_tickets() < 0) v->Add("agent.max_open_tickets", "must not be negative");
  for (int i = 0; i < agent.groups_size(); ++i) {
    if (agent.groups(i).empty() || agent.groups(i).size() > 128) {
      v->Add(StrCat("agent.groups[", i, "]"), "must be 1-128 bytes");
    }
  }
  for (int i = 0; i < agent.skills_size(); ++i) {
    if (agent.skills(i).empty() || agent.skills(i).size() > 128) {
      v->Add(StrCat("agent.skills[", i, "]"), "must be 1-128 bytes");
    }
  }
}

std::string NewEtag() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return StrCat(rng() & 0xffffffffffffULL);
}

}  // namespace

void AgentService::AddOpenTickets(const std::string& tenant, v1::Agent* agent) {
  auto open = store_->OpenTicketCount(tenant, agent->id());
  if (open.ok()) agent->set_open_tickets(static_cast<int32_t>(*open));
}

absl::StatusOr<v1::Agent> AgentService::Put(const std::string& tenant, v1::Agent agent,
                                            bool create_only, const std::string& expected_etag) {
  Violations v;
  Validate(agent, &v);
  if (!v.empty()) return v.ToStatus("invalid agent");
  auto existing = store_->GetAgent(tenant, agent.id());
  if (!existing.ok()) return existing.status();
  const auto now = TimeUtil::GetCurrentTime();
  *agent.mutable_create_time() = existing->has_value() ? (*existing)->create_time() : now;
  *agent.mutable_update_time() = now;
  agent.set_etag(NewEtag());
  agent.clear_open_tickets();
  auto put = store_->PutAgent(tenant, agent, create_only, expected_etag);
  agents_->Invalidate(tenant);
  if (!put.ok()) return put;
  AddOpenTickets(tenant, &agent);
  return agent;
}

grpc::Status AgentService::CreateAgent(grpc::ServerContext* context,
                                       const v1::CreateAgentRequest* request, v1::Agent* response) {
  auto caller = auth_->Authorize(*context, Method::kCreateAgent);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto agent = Put((*caller)->tenant, request->agent(), /*create_only=*/true, "");
  if (!agent.ok()) return ToGrpcStatus(agent.status());
  *response = std::move(*agent);
  return grpc::Status::OK;
}

grpc::Status AgentService::UpsertAgent(grpc::ServerContext* context,
                                       const v1::UpsertAgentRequest* request, v1::Agent* response) {
  auto caller = auth_->Authorize(*context, Method::kUpsertAgent);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto agent = Put((*caller)->tenant, request->agent(), /*create_only=*/false, "");
  if (!agent.ok()) return ToGrpcStatus(agent.status());
  *response = std::move(*agent);
  return grpc::Status::OK;
}

grpc::Status AgentService::GetAgent(grpc::ServerContext* context,
                                    const v1::GetAgentRequest* request, v1::Agent* response) {
  auto caller = auth_->Authorize(*context, Method::kGetAgent);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (request->id().empty()) return RequiredField("id");
  const std::string& tenant = (*caller)->tenant;
  auto agent = store_->GetAgent(tenant, request->id());
  if (!agent.ok()) return ToGrpcStatus(agent.status());
  if (!agent->has_value()) {
    return ToGrpcStatus(WithReason(
        absl::NotFoundError(StrCat("agent \"", request->id(), "\" not found")), "AGENT_NOT_FOUND"));
  }
  *response = std::move(**agent);
  AddOpenTickets(tenant, response);
  return grpc::Status::OK;
}

grpc::Status AgentService::ListAgents(grpc::ServerContext* context,
                                      const v1::ListAgentsRequest* request,
                                      v1::ListAgentsResponse* response) {
  auto caller = auth_->Authorize(*context, Method::kListAgents);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  Violations v;
  const std::string scope =
      StrCat("agents|", request->group(), "|",
             request->has_available() ? (request->available() ? "1" : "0") : "-");
  const PageRequest page = ParsePageRequest(request->page_size(), request->page_token(), scope, &v);
  if (!v.empty()) return ToGrpcStatus(v.ToStatus("invalid list request"));
  const std::string& tenant = (*caller)->tenant;
  const int page_size = page.size;
  auto agents = store_->ListAgents(
      tenant, page.after, page_size + 1, request->group(),
      request->has_available() ? std::optional<bool>(request->available()) : std::nullopt);
  if (!agents.ok()) return ToGrpcStatus(agents.status());
  const bool more = static_cast<int>(agents->size()) > page_size;
  if (more) agents->resize(page_size);
  for (auto& agent : *agents) {
    AddOpenTickets(tenant, &agent);
    *response->add_agents() = std::move(agent);
  }
  if (more) response->set_next_page_token(PageTokenAfter(scope, agents->back().id()));
  return grpc::Status::OK;
}

grpc::Status AgentService::UpdateAgent(grpc::ServerContext* context,
                                       const v1::UpdateAgentRequest* request, v1::Agent* response) {
  auto caller = auth_->Authorize(*context, Method::kUpdateAgent);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (request->agent().id().empty()) return RequiredField("agent.id");
  const std::string& tenant = (*caller)->tenant;
  auto current = store_->GetAgent(tenant, request->agent().id());
  if (!current.ok()) return ToGrpcStatus(current.status());
  if (!current->has_value()) {
    return ToGrpcStatus(
        WithReason(absl::NotFoundError(StrCat("agent \"", request->agent().id(), "\" not found")),
                   "AGENT_NOT_FOUND"));
  }
  v1::Agent agent = **current;
  const v1::Agent& in = request->agent();
  Violations v;
  std::vector<std::string> paths(request->update_mask().paths().begin(),
                                 request->update_mask().paths().end());
  if (paths.empty()) {
    paths = {"name", "email", "groups", "skills", "max_open_tickets", "available"};
  }
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string& p = paths[i];
    if (p == "name") {
      agent.set_name(in.name());
    } else if (p == "email") {
      agent.set_email(in.email());
    } else if (p == "groups") {
      *agent.mutable_groups() = in.groups();
    } else if (p == "skills") {
      *agent.mutable_skills() = in.skills();
    } else if (p == "max_open_tickets") {
      agent.set_max_open_tickets(in.max_open_tickets());
    } else if (p == "available") {
      agent.set_available(in.available());
    } else {
      v.Add(StrCat("update_mask.paths[", i, "]"), StrCat("\"", p, "\" cannot be updated"));
    }
  }
  if (!v.empty()) return ToGrpcStatus(v.ToStatus("invalid update"));
  auto stored = Put(tenant, std::move(agent), /*create_only=*/false,
                    in.etag().empty() ? (*current)->etag() : in.etag());
  if (!stored.ok()) return ToGrpcStatus(stored.status());
  *response = std::move(*stored);
  return grpc::Status::OK;
}

grpc::Status AgentService::DeleteAgent(grpc::ServerContext* context,
                                       const v1::DeleteAgentRequest* request,
                                       google::protobuf::Empty*) {
  auto caller = auth_->Authorize(*context, Method::kDeleteAgent);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (request->id().empty()) return RequiredField("id");
  const std::string& tenant = (*caller)->tenant;
  auto status = store_->DeleteAgent(tenant, request->id());
  agents_->Invalidate(tenant);
  return ToGrpcStatus(status);
}

}  // namespace triggerfish::server::api
