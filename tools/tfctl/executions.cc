// tfctl executions list/get/retry: the audit trail of action executions.

#include <iostream>

#include "CLI/CLI.hpp"
#include "tools/tfctl/commands.h"
#include "tools/tfctl/connection.h"
#include "tools/tfctl/documents.h"
#include "tools/tfctl/explain.h"
#include "tools/tfctl/output.h"
#include "triggerfish/v1/execution_service.grpc.pb.h"

namespace triggerfish::tfctl {
namespace {

std::string StatusName(v1::ExecutionStatus status) {
  return ShortEnumName(v1::ExecutionStatus_descriptor(), status);
}

struct ListOptions {
  std::string ticket, rule, status, event, action_type;
  int limit = 100;
};

void List(const ListOptions& list, const GlobalOptions& options) {
  v1::ListExecutionsRequest request;
  request.set_ticket_id(list.ticket);
  request.set_rule_id(list.rule);
  request.set_event_id(list.event);
  request.set_action_type(list.action_type);
  if (!list.status.empty()) {
    const int number = EnumNumber(v1::ExecutionStatus_descriptor(), list.status);
    if (number <= 0) {
      UsageError("--status: unknown status \"" + list.status +
                 "\" (succeeded, failed, queued, running, dead)");
    }
    request.set_status(static_cast<v1::ExecutionStatus>(number));
  }
  auto stub = v1::ExecutionService::NewStub(OpenChannel(options));
  std::vector<v1::Execution> executions;
  bool more = false;
  while (true) {
    request.set_page_size(list.limit > 0 ? std::min<int>(1000, list.limit - executions.size())
                                         : 1000);
    v1::ListExecutionsResponse response;
    auto context = NewContext(options);
    grpc::Status status = stub->ListExecutions(context.get(), request, &response);
    if (!status.ok()) ThrowApiError(status, options, "list executions");
    for (auto& e : *response.mutable_executions()) executions.push_back(std::move(e));
    if (response.next_page_token().empty()) break;
    if (list.limit > 0 && static_cast<int>(executions.size()) >= list.limit) {
      more = true;
      break;
    }
    request.set_page_token(response.next_page_token());
  }
  if (options.json()) {
    Json items = Json::array();
    for (const auto& e : executions) items.push_back(MessageToJson(e, /*defaults=*/true));
    PrintJson({{"executions", items}, {"more", more}});
    return;
  }
  Table table({"ID", "TICKET", "RULE", "ACTION", "STATUS", "ATTEMPTS", "CREATED", "ERROR"});
  for (const auto& e : executions) {
    table.Add({e.id(), e.ticket_id(), e.rule_id(),
               e.action_type() + "#" + std::to_string(e.action_index()), StatusName(e.status()),
               std::to_string(e.attempts_size()), TimeText(e.create_time()),
               e.error().empty() ? "-" : e.error()});
  }
  table.Print(std::cout);
  if (more) std::cerr << "(more executions: raise --limit, or 0 for all)\n";
}

void Show(const v1::Execution& e, const GlobalOptions& options) {
  if (options.json()) {
    PrintJson(MessageToJson(e, /*defaults=*/true));
    return;
  }
  Fields fields;
  fields.Add("id", e.id());
  fields.Add("status", StatusName(e.status()));
  fields.Add("ticket", e.ticket_id());
  fields.Add("event", e.event_id());
  fields.Add("rule", e.rule_id());
  fields.Add("action", e.action_type() + " (index " + std::to_string(e.action_index()) + ", " +
                           ShortEnumName(v1::ActionMode_descriptor(), e.mode()) + ")");
  fields.Add("operation id", e.operation_id());
  if (!e.error().empty()) fields.Add("error", e.error());
  if (e.has_ticket_patch()) fields.Add("ticket patch", PatchText(e.ticket_patch()));
  if (e.has_output()) fields.Add("output", ValueText(e.output()));
  fields.Add("created", TimeText(e.create_time()));
  fields.Add("updated", TimeText(e.update_time()));
  if (e.has_next_attempt_time()) fields.Add("next attempt", TimeText(e.next_attempt_time()));
  fields.Print(std::cout);
  if (e.attempts_size() > 0) {
    std::cout << "\n";
    Table attempts({"ATTEMPT", "STATUS", "STARTED", "ENDED", "ERROR"});
    for (const auto& a : e.attempts()) {
      attempts.Add({std::to_string(a.number()), StatusName(a.status()), TimeText(a.start_time()),
                    TimeText(a.end_time()), a.error().empty() ? "-" : a.error()});
    }
    attempts.Print(std::cout);
  }
}

void Get(const std::string& id, bool retry, const GlobalOptions& options) {
  auto stub = v1::ExecutionService::NewStub(OpenChannel(options));
  v1::Execution execution;
  auto context = NewContext(options);
  grpc::Status status;
  if (retry) {
    v1::RetryExecutionRequest request;
    request.set_id(id);
    status = stub->RetryExecution(context.get(), request, &execution);
  } else {
    v1::GetExecutionRequest request;
    request.set_id(id);
    status = stub->GetExecution(context.get(), request, &execution);
  }
  if (!status.ok())
    ThrowApiError(status, options, (retry ? "retry execution " : "get execution ") + id);
  Show(execution, options);
}

}  // namespace

void AddExecutionsCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* executions = app.add_subcommand("executions", "inspect and retry action executions");
  executions->require_subcommand(1);

  auto list = std::make_shared<ListOptions>();
  CLI::App* ls = executions->add_subcommand("list", "list executions; the filters combine");
  ls->add_option("--ticket", list->ticket, "only this ticket's");
  ls->add_option("--rule", list->rule, "only this rule's");
  ls->add_option("--status", list->status, "succeeded, failed, queued, running or dead");
  ls->add_option("--event", list->event, "only this event's");
  ls->add_option("--action-type", list->action_type, "only this action type's");
  ls->add_option("--limit", list->limit, "at most this many; 0 = all")->capture_default_str();
  ls->callback([list, &options] { List(*list, options); });

  auto id = std::make_shared<std::string>();
  CLI::App* get = executions->add_subcommand("get", "show an execution and its attempts");
  get->add_option("id", *id, "execution id")->required();
  get->callback([id, &options] { Get(*id, /*retry=*/false, options); });

  auto retry_id = std::make_shared<std::string>();
  CLI::App* retry = executions->add_subcommand("retry", "queue a dead deferred execution again");
  retry->add_option("id", *retry_id, "execution id")->required();
  retry->callback([retry_id, &options] { Get(*retry_id, /*retry=*/true, options); });
}

}  // namespace triggerfish::tfctl
