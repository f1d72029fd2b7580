// tfctl agents list/get/apply/delete.

#include <iostream>
#include <map>
#include <set>

#include "CLI/CLI.hpp"
#include "tools/tfctl/commands.h"
#include "tools/tfctl/connection.h"
#include "tools/tfctl/documents.h"
#include "tools/tfctl/output.h"
#include "triggerfish/v1/agent_service.grpc.pb.h"

namespace triggerfish::tfctl {
namespace {

std::vector<v1::Agent> ListAllAgents(v1::AgentService::Stub& stub, const GlobalOptions& options,
                                     const std::string& group) {
  std::vector<v1::Agent> agents;
  v1::ListAgentsRequest request;
  request.set_page_size(1000);
  request.set_group(group);
  while (true) {
    v1::ListAgentsResponse response;
    auto context = NewContext(options);
    grpc::Status status = stub.ListAgents(context.get(), request, &response);
    if (!status.ok()) ThrowApiError(status, options, "list agents");
    for (auto& agent : *response.mutable_agents()) agents.push_back(std::move(agent));
    if (response.next_page_token().empty()) return agents;
    request.set_page_token(response.next_page_token());
  }
}

std::vector<std::string> ChangedFields(const v1::Agent& desired, const v1::Agent& current) {
  std::vector<std::string> fields;
  if (desired.name() != current.name()) fields.push_back("name");
  if (desired.email() != current.email()) fields.push_back("email");
  if (ToVector(desired.groups()) != ToVector(current.groups())) fields.push_back("groups");
  if (ToVector(desired.skills()) != ToVector(current.skills())) fields.push_back("skills");
  if (desired.max_open_tickets() != current.max_open_tickets()) {
    fields.push_back("max_open_tickets");
  }
  if (desired.available() != current.available()) fields.push_back("available");
  return fields;
}

struct ApplyOptions {
  std::string file;
  bool prune = false;
  bool dry_run = false;
};

void Apply(const ApplyOptions& apply, const GlobalOptions& options) {
  const Json document = ReadDocument(apply.file);
  const Json& list =
      document.is_object() && document.contains("agents") ? document["agents"] : document;
  if (!list.is_array()) UsageError(apply.file + ": expected a list `agents`");
  std::vector<v1::Agent> desired;
  std::set<std::string> ids;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = apply.file + ": agents[" + std::to_string(i) + "]";
    v1::Agent agent;
    if (const std::string error = JsonToMessage(list[i], &agent); !error.empty()) {
      UsageError(where + ": " + error);
    }
    if (agent.id().empty()) UsageError(where + ": `id` is required");
    if (!ids.insert(agent.id()).second) UsageError(where + ": duplicate id " + agent.id());
    desired.push_back(std::move(agent));
  }

  auto stub = v1::AgentService::NewStub(OpenChannel(options));
  std::map<std::string, v1::Agent> current;
  for (auto& agent : ListAllAgents(*stub, options, "")) current[agent.id()] = std::move(agent);

  Json changes = Json::array();
  int created = 0, updated = 0, deleted = 0, unchanged = 0;
  auto report = [&](const std::string& action, const std::string& id,
                    const std::vector<std::string>& fields) {
    Json item = {{"id", id}, {"action", action}};
    if (!fields.empty()) item["fields"] = fields;
    changes.push_back(item);
    if (!options.json()) {
      std::cout << (apply.dry_run ? "would " : "") << action << std::string(11 - action.size(), ' ')
                << id;
      if (!fields.empty()) std::cout << "  (" << JoinOrDash(fields) << ")";
      std::cout << "\n";
    }
  };
  for (const auto& agent : desired) {
    auto it = current.find(agent.id());
    if (it == current.end()) {
      if (!apply.dry_run) {
        v1::CreateAgentRequest request;
        *request.mutable_agent() = agent;
        v1::Agent result;
        auto context = NewContext(options);
        grpc::Status status = stub->CreateAgent(context.get(), request, &result);
        if (!status.ok()) ThrowApiError(status, options, "create agent " + agent.id());
      }
      ++created;
      report("create", agent.id(), {});
      continue;
    }
    const std::vector<std::string> fields = ChangedFields(agent, it->second);
    if (fields.empty()) {
      ++unchanged;
      report("unchanged", agent.id(), {});
      continue;
    }
    if (!apply.dry_run) {
      v1::UpdateAgentRequest request;
      *request.mutable_agent() = agent;
      request.mutable_agent()->set_etag(it->second.etag());
      for (const auto& field : fields) request.mutable_update_mask()->add_paths(field);
      v1::Agent result;
      auto context = NewContext(options);
      grpc::Status status = stub->UpdateAgent(context.get(), request, &result);
      if (!status.ok()) ThrowApiError(status, options, "update agent " + agent.id());
    }
    ++updated;
    report("update", agent.id(), fields);
  }
  if (apply.prune) {
    for (const auto& [id, agent] : current) {
      if (ids.contains(id)) continue;
      if (!apply.dry_run) {
        v1::DeleteAgentRequest request;
        request.set_id(id);
        google::protobuf::Empty empty;
        auto context = NewContext(options);
        grpc::Status status = stub->DeleteAgent(context.get(), request, &empty);
        if (!status.ok()) ThrowApiError(status, options, "delete agent " + id);
      }
      ++deleted;
      report("delete", id, {});
    }
  }
  if (options.json()) {
    PrintJson({{"dry_run", apply.dry_run},
               {"changes", changes},
               {"created", created},
               {"updated", updated},
               {"deleted", deleted},
               {"unchanged", unchanged}});
  } else {
    const char* suffix = apply.dry_run ? " to " : " ";
    std::cout << created << suffix << (apply.dry_run ? "create, " : "created, ") << updated
              << suffix << (apply.dry_run ? "update, " : "updated, ") << deleted << suffix
              << (apply.dry_run ? "delete, " : "deleted, ") << unchanged << " unchanged"
              << (apply.dry_run ? " (dry run: nothing changed)" : "") << "\n";
  }
}

void List(const std::string& group, const GlobalOptions& options) {
  auto stub = v1::AgentService::NewStub(OpenChannel(options));
  const std::vector<v1::Agent> agents = ListAllAgents(*stub, options, group);
  if (options.json()) {
    Json items = Json::array();
    for (const auto& agent : agents) items.push_back(MessageToJson(agent, /*defaults=*/true));
    PrintJson({{"agents", items}});
    return;
  }
  Table table({"ID", "NAME", "EMAIL", "GROUPS", "SKILLS", "OPEN/MAX", "AVAILABLE"});
  for (const auto& a : agents) {
    table.Add({a.id(), a.name(), a.email().empty() ? "-" : a.email(),
               JoinOrDash(ToVector(a.groups())), JoinOrDash(ToVector(a.skills())),
               std::to_string(a.open_tickets()) + "/" +
                   (a.max_open_tickets() > 0 ? std::to_string(a.max_open_tickets()) : "-"),
               a.available() ? "yes" : "no"});
  }
  table.Print(std::cout);
}

void Get(const std::string& id, const GlobalOptions& options) {
  auto stub = v1::AgentService::NewStub(OpenChannel(options));
  v1::GetAgentRequest request;
  request.set_id(id);
  v1::Agent agent;
  auto context = NewContext(options);
  grpc::Status status = stub->GetAgent(context.get(), request, &agent);
  if (!status.ok()) ThrowApiError(status, options, "get agent " + id);
  if (options.json()) {
    PrintJson(MessageToJson(agent, /*defaults=*/true));
  } else {
    std::cout << ToYaml(MessageToJson(agent));
  }
}

void Delete(const std::string& id, const GlobalOptions& options) {
  auto stub = v1::AgentService::NewStub(OpenChannel(options));
  v1::DeleteAgentRequest request;
  request.set_id(id);
  google::protobuf::Empty empty;
  auto context = NewContext(options);
  grpc::Status status = stub->DeleteAgent(context.get(), request, &empty);
  if (!status.ok()) ThrowApiError(status, options, "delete agent " + id);
  if (options.json()) {
    PrintJson({{"deleted", id}});
  } else {
    std::cout << "deleted " << id << "\n";
  }
}

}  // namespace

void AddAgentsCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* agents = app.add_subcommand("agents", "manage agents (assignment targets)");
  agents->require_subcommand(1);

  auto group = std::make_shared<std::string>();
  CLI::App* ls = agents->add_subcommand("list", "list agents");
  ls->add_option("--group", *group, "only agents of this group");
  ls->callback([group, &options] { List(*group, options); });

  auto id = std::make_shared<std::string>();
  CLI::App* get = agents->add_subcommand("get", "show one agent");
  get->add_option("id", *id, "agent id")->required();
  get->callback([id, &options] { Get(*id, options); });

  auto apply = std::make_shared<ApplyOptions>();
  CLI::App* apply_cmd = agents->add_subcommand(
      "apply", "make the agents match a file (`agents: [...]`, as in examples/rules/sample.yaml)");
  apply_cmd->add_option("-f,--file", apply->file, "agents file (YAML or JSON; - for stdin)")
      ->required();
  apply_cmd->add_flag("--prune", apply->prune, "delete agents that are not in the file");
  apply_cmd->add_flag("--dry-run", apply->dry_run, "print the diff; change nothing");
  apply_cmd->callback([apply, &options] { Apply(*apply, options); });

  auto delete_id = std::make_shared<std::string>();
  CLI::App* del = agents->add_subcommand("delete", "delete one agent");
  del->add_option("id", *delete_id, "agent id")->required();
  del->callback([delete_id, &options] { Delete(*delete_id, options); });
}

}  // namespace triggerfish::tfctl
