// tfctl rules: apply (declarative), list, get, delete, export.

#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "CLI/CLI.hpp"
#include "google/protobuf/util/message_differencer.h"
#include "tools/tfctl/commands.h"
#include "tools/tfctl/connection.h"
#include "tools/tfctl/documents.h"
#include "tools/tfctl/output.h"
#include "tools/tfctl/rules_file.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish::tfctl {
namespace {

using google::protobuf::util::MessageDifferencer;

std::string NewRequestId() {
  std::random_device random;
  std::uniform_int_distribution<uint64_t> bits;
  char buffer[40];
  snprintf(buffer, sizeof(buffer), "tfctl-%016llx%016llx",
           static_cast<unsigned long long>(bits(random)),
           static_cast<unsigned long long>(bits(random)));
  return buffer;
}

// Runs a mutation carrying a request_id; when the outcome is unknown
// (UNAVAILABLE, DEADLINE_EXCEEDED) it is sent again with the same
// request_id, so the server applies it once.
template <typename Call>
grpc::Status WithRetries(const GlobalOptions& options, Call call) {
  grpc::Status status;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(300 * attempt));
    auto context = NewContext(options);
    status = call(context.get());
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
        status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
      break;
    }
  }
  return status;
}

std::vector<v1::Rule> ListAllRules(v1::RuleService::Stub& stub, const GlobalOptions& options) {
  std::vector<v1::Rule> rules;
  v1::ListRulesRequest request;
  request.set_page_size(1000);
  while (true) {
    v1::ListRulesResponse response;
    auto context = NewContext(options);
    grpc::Status status = stub.ListRules(context.get(), request, &response);
    if (!status.ok()) ThrowApiError(status, options, "list rules");
    for (auto& rule : *response.mutable_rules()) rules.push_back(std::move(rule));
    if (response.next_page_token().empty()) return rules;
    request.set_page_token(response.next_page_token());
  }
}

// The updatable fields whose desired value differs from the current one,
// in proto order (also the order of an update_mask).
std::vector<std::string> ChangedFields(const v1::Rule& desired, const v1::Rule& current) {
  std::vector<std::string> fields;
  if (desired.name() != current.name()) fields.push_back("name");
  if (desired.description() != current.description()) fields.push_back("description");
  const bool desired_enabled = !desired.has_enabled() || desired.enabled();
  const bool current_enabled = !current.has_enabled() || current.enabled();
  if (desired_enabled != current_enabled) fields.push_back("enabled");
  if (desired.position() != current.position()) fields.push_back("position");
  if (!MessageDifferencer::Equivalent(desired.trigger(), current.trigger())) {
    fields.push_back("trigger");
  }
  if (desired.has_condition() != current.has_condition() ||
      !MessageDifferencer::Equivalent(desired.condition(), current.condition())) {
    fields.push_back("condition");
  }
  bool actions_equal = desired.actions_size() == current.actions_size();
  for (int i = 0; actions_equal && i < desired.actions_size(); ++i) {
    actions_equal = MessageDifferencer::Equivalent(desired.actions(i), current.actions(i));
  }
  if (!actions_equal) fields.push_back("actions");
  return fields;
}

enum class ChangeKind { kCreate, kUpdate, kDelete, kUnchanged };

struct Change {
  ChangeKind kind;
  v1::Rule desired;                 // create / update
  v1::Rule current;                 // update / delete / unchanged
  std::vector<std::string> fields;  // update
  int file_index = -1;
};

const char* KindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kCreate:
      return "create";
    case ChangeKind::kUpdate:
      return "update";
    case ChangeKind::kDelete:
      return "delete";
    case ChangeKind::kUnchanged:
      return "unchanged";
  }
  return "";
}

v1::CreateRuleRequest CreateRequest(const Change& change) {
  v1::CreateRuleRequest request;
  *request.mutable_rule() = change.desired;
  request.mutable_rule()->clear_id();
  request.set_rule_id(change.desired.id());
  return request;
}

v1::UpdateRuleRequest UpdateRequest(const Change& change) {
  v1::UpdateRuleRequest request;
  *request.mutable_rule() = change.desired;
  request.mutable_rule()->set_etag(change.current.etag());
  for (const auto& field : change.fields) request.mutable_update_mask()->add_paths(field);
  return request;
}

struct ApplyOptions {
  std::string file;
  bool prune = false;
  bool dry_run = false;
};

void Apply(const ApplyOptions& apply, const GlobalOptions& options) {
  const std::vector<v1::Rule> desired = ReadRulesFile(apply.file, /*require_ids=*/true);
  auto stub = v1::RuleService::NewStub(OpenChannel(options));
  const std::vector<v1::Rule> existing = ListAllRules(*stub, options);
  std::map<std::string, const v1::Rule*> current;
  for (const auto& rule : existing) current[rule.id()] = &rule;

  std::vector<Change> changes;
  std::set<std::string> in_file;
  for (size_t i = 0; i < desired.size(); ++i) {
    const v1::Rule& rule = desired[i];
    in_file.insert(rule.id());
    Change change{ChangeKind::kCreate, rule, {}, {}, static_cast<int>(i)};
    if (auto it = current.find(rule.id()); it != current.end()) {
      change.current = *it->second;
      change.fields = ChangedFields(rule, *it->second);
      change.kind = change.fields.empty() ? ChangeKind::kUnchanged : ChangeKind::kUpdate;
    }
    changes.push_back(std::move(change));
  }
  int not_in_file = 0;
  for (const auto& rule : existing) {
    if (in_file.contains(rule.id())) continue;
    if (apply.prune) {
      changes.push_back(Change{ChangeKind::kDelete, {}, rule, {}, -1});
    } else {
      ++not_in_file;
    }
  }

  // Validate every create and update before changing anything, so that a
  // file with an invalid rule changes nothing.
  Json invalid = Json::array();
  for (const auto& change : changes) {
    grpc::Status status;
    v1::Rule ignored;
    if (change.kind == ChangeKind::kCreate) {
      v1::CreateRuleRequest request = CreateRequest(change);
      request.set_validate_only(true);
      auto context = NewContext(options);
      status = stub->CreateRule(context.get(), request, &ignored);
    } else if (change.kind == ChangeKind::kUpdate) {
      v1::UpdateRuleRequest request = UpdateRequest(change);
      request.set_validate_only(true);
      auto context = NewContext(options);
      status = stub->UpdateRule(context.get(), request, &ignored);
    } else {
      continue;
    }
    if (status.ok()) continue;
    const google::rpc::Status rpc = RpcStatusOf(status);
    if (rpc.code() != grpc::StatusCode::INVALID_ARGUMENT &&
        rpc.code() != grpc::StatusCode::RESOURCE_EXHAUSTED &&
        rpc.code() != grpc::StatusCode::ALREADY_EXISTS) {
      ThrowApiError(status, options, "validate rule " + change.desired.id());
    }
    Json entry = {{"index", change.file_index}, {"id", change.desired.id()}};
    entry["error"] = RpcStatusToJson(rpc);
    invalid.push_back(entry);
    if (!options.json()) {
      std::cerr << apply.file << ": rules[" << change.file_index << "] (" << change.desired.id()
                << "): " << FormatRpcStatus(rpc) << "\n";
    }
  }
  if (!invalid.empty()) {
    if (options.json()) {
      std::cerr << Json{{"error",
                         {{"message", "invalid rules; nothing changed"},
                          {"invalid_rules", invalid}}}}
                       .dump(2)
                << "\n";
    }
    if (options.json()) throw Failure(kExitFailed, "");
    throw Failure(kExitFailed, std::to_string(invalid.size()) + " invalid rule" +
                                   (invalid.size() == 1 ? "" : "s") + " in " + apply.file +
                                   "; nothing changed");
  }

  if (!apply.dry_run) {
    for (const auto& change : changes) {
      grpc::Status status;
      v1::Rule result;
      if (change.kind == ChangeKind::kCreate) {
        v1::CreateRuleRequest request = CreateRequest(change);
        request.set_request_id(NewRequestId());
        status = WithRetries(options, [&](grpc::ClientContext* context) {
          return stub->CreateRule(context, request, &result);
        });
      } else if (change.kind == ChangeKind::kUpdate) {
        v1::UpdateRuleRequest request = UpdateRequest(change);
        request.set_request_id(NewRequestId());
        status = WithRetries(options, [&](grpc::ClientContext* context) {
          return stub->UpdateRule(context, request, &result);
        });
      } else {
        continue;
      }
      if (!status.ok()) {
        ThrowApiError(status, options,
                      std::string(KindName(change.kind)) + " rule " + change.desired.id());
      }
    }
    for (const auto& change : changes) {
      if (change.kind != ChangeKind::kDelete) continue;
      v1::DeleteRuleRequest request;
      request.set_id(change.current.id());
      request.set_etag(change.current.etag());
      request.set_request_id(NewRequestId());
      google::protobuf::Empty empty;
      grpc::Status status = WithRetries(options, [&](grpc::ClientContext* context) {
        return stub->DeleteRule(context, request, &empty);
      });
      if (!status.ok()) ThrowApiError(status, options, "delete rule " + change.current.id());
    }
  }

  std::map<ChangeKind, int> counts;
  for (const auto& change : changes) ++counts[change.kind];
  if (options.json()) {
    Json list = Json::array();
    for (const auto& change : changes) {
      Json item = {
          {"id", change.kind == ChangeKind::kDelete ? change.current.id() : change.desired.id()},
          {"action", KindName(change.kind)}};
      if (change.kind == ChangeKind::kUpdate) item["fields"] = change.fields;
      list.push_back(item);
    }
    PrintJson({{"dry_run", apply.dry_run},
               {"changes", list},
               {"created", counts[ChangeKind::kCreate]},
               {"updated", counts[ChangeKind::kUpdate]},
               {"deleted", counts[ChangeKind::kDelete]},
               {"unchanged", counts[ChangeKind::kUnchanged]},
               {"not_in_file", not_in_file}});
    return;
  }
  for (const auto& change : changes) {
    const std::string label = (apply.dry_run ? "would " : "") + std::string(KindName(change.kind));
    std::cout << label << std::string((apply.dry_run ? 17 : 11) - label.size(), ' ');
    if (change.kind == ChangeKind::kDelete) {
      std::cout << change.current.id();
    } else {
      std::cout << change.desired.id();
    }
    if (change.kind == ChangeKind::kUpdate) std::cout << "  (" << JoinOrDash(change.fields) << ")";
    std::cout << "\n";
  }
  if (apply.dry_run) {
    std::cout << counts[ChangeKind::kCreate] << " to create, " << counts[ChangeKind::kUpdate]
              << " to update, " << counts[ChangeKind::kDelete] << " to delete, "
              << counts[ChangeKind::kUnchanged] << " unchanged";
  } else {
    std::cout << counts[ChangeKind::kCreate] << " created, " << counts[ChangeKind::kUpdate]
              << " updated, " << counts[ChangeKind::kDelete] << " deleted, "
              << counts[ChangeKind::kUnchanged] << " unchanged";
  }
  if (not_in_file > 0) {
    std::cout << "; " << not_in_file << " rule" << (not_in_file == 1 ? "" : "s")
              << " on the server not in the file (--prune deletes them)";
  }
  if (apply.dry_run) std::cout << " (dry run: nothing changed)";
  std::cout << "\n";
}

std::string ConditionSize(const v1::Condition& condition) {
  int predicates = 0;
  std::function<void(const v1::Condition&)> count = [&](const v1::Condition& c) {
    if (c.has_predicate()) ++predicates;
    for (const auto& child : c.all()) count(child);
    for (const auto& child : c.any()) count(child);
    if (c.has_not_()) count(c.not_());
  };
  count(condition);
  return std::to_string(predicates);
}

void List(const GlobalOptions& options) {
  auto stub = v1::RuleService::NewStub(OpenChannel(options));
  const std::vector<v1::Rule> rules = ListAllRules(*stub, options);
  if (options.json()) {
    Json list = Json::array();
    for (const auto& rule : rules) list.push_back(MessageToJson(rule, /*defaults=*/true));
    PrintJson({{"rules", list}});
    return;
  }
  Table table({"ID", "POSITION", "ENABLED", "EVENTS", "PREDICATES", "ACTIONS", "NAME"});
  for (const auto& rule : rules) {
    std::vector<std::string> actions;
    for (const auto& action : rule.actions()) actions.push_back(action.type());
    table.Add({rule.id(), std::to_string(rule.position()),
               (!rule.has_enabled() || rule.enabled()) ? "yes" : "no",
               JoinOrDash(ToVector(rule.trigger().event_types())), ConditionSize(rule.condition()),
               JoinOrDash(actions), rule.name()});
  }
  table.Print(std::cout);
}

void Get(const std::string& id, const GlobalOptions& options) {
  auto stub = v1::RuleService::NewStub(OpenChannel(options));
  v1::GetRuleRequest request;
  request.set_id(id);
  v1::Rule rule;
  auto context = NewContext(options);
  grpc::Status status = stub->GetRule(context.get(), request, &rule);
  if (!status.ok()) ThrowApiError(status, options, "get rule " + id);
  if (options.json()) {
    PrintJson(MessageToJson(rule, /*defaults=*/true));
  } else {
    std::cout << ToYaml(MessageToJson(rule));
  }
}

void Delete(const std::string& id, const std::string& etag, const GlobalOptions& options) {
  auto stub = v1::RuleService::NewStub(OpenChannel(options));
  v1::DeleteRuleRequest request;
  request.set_id(id);
  request.set_etag(etag);
  request.set_request_id(NewRequestId());
  google::protobuf::Empty empty;
  grpc::Status status = WithRetries(options, [&](grpc::ClientContext* context) {
    return stub->DeleteRule(context, request, &empty);
  });
  if (!status.ok()) ThrowApiError(status, options, "delete rule " + id);
  if (options.json()) {
    PrintJson({{"deleted", id}});
  } else {
    std::cout << "deleted " << id << "\n";
  }
}

void Export(const std::string& format, const GlobalOptions& options) {
  auto stub = v1::RuleService::NewStub(OpenChannel(options));
  Json list = Json::array();
  for (const auto& rule : ListAllRules(*stub, options)) list.push_back(RuleToFileJson(rule));
  const Json document = {{"rules", list}};
  if (format == "json" || (format.empty() && options.json())) {
    PrintJson(document);
  } else {
    std::cout << ToYaml(document);
  }
}

}  // namespace

void AddRulesCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* rules = app.add_subcommand("rules", "manage the tenant's rules");
  rules->require_subcommand(1);

  auto apply = std::make_shared<ApplyOptions>();
  CLI::App* apply_cmd = rules->add_subcommand(
      "apply", "make the tenant's rules match a file; prints create/update/delete/unchanged");
  apply_cmd->add_option("-f,--file", apply->file, "rules file (YAML or JSON; - for stdin)")
      ->required();
  apply_cmd->add_flag("--prune", apply->prune, "delete rules that are not in the file");
  apply_cmd->add_flag("--dry-run", apply->dry_run,
                      "validate every rule and print the diff; change nothing");
  apply_cmd->callback([apply, &options] { Apply(*apply, options); });

  rules->add_subcommand("list", "list rules in evaluation order")->callback([&options] {
    List(options);
  });

  auto id = std::make_shared<std::string>();
  CLI::App* get = rules->add_subcommand("get", "show one rule");
  get->add_option("id", *id, "rule id")->required();
  get->callback([id, &options] { Get(*id, options); });

  auto delete_id = std::make_shared<std::string>();
  auto etag = std::make_shared<std::string>();
  CLI::App* del = rules->add_subcommand("delete", "delete one rule");
  del->add_option("id", *delete_id, "rule id")->required();
  del->add_option("--etag", *etag, "delete only if the rule is still at this etag");
  del->callback([delete_id, etag, &options] { Delete(*delete_id, *etag, options); });

  auto format = std::make_shared<std::string>();
  CLI::App* exp = rules->add_subcommand(
      "export", "print all rules as a file `rules apply` accepts (YAML; JSON with -o json)");
  exp->add_option("--format", *format, "yaml or json (default: yaml, json with -o json)")
      ->check(CLI::IsMember({"yaml", "json"}));
  exp->callback([format, &options] { Export(*format, options); });
}

}  // namespace triggerfish::tfctl
