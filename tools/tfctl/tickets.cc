// tfctl tickets get/list: the ticket snapshots the engine holds.

#include <iostream>

#include "CLI/CLI.hpp"
#include "tools/tfctl/commands.h"
#include "tools/tfctl/connection.h"
#include "tools/tfctl/documents.h"
#include "tools/tfctl/output.h"
#include "triggerfish/v1/ticket_service.grpc.pb.h"

namespace triggerfish::tfctl {
namespace {

void Get(const std::string& id, const GlobalOptions& options) {
  auto stub = v1::TicketService::NewStub(OpenChannel(options));
  v1::GetTicketRequest request;
  request.set_id(id);
  v1::TicketRecord record;
  auto context = NewContext(options);
  grpc::Status status = stub->GetTicket(context.get(), request, &record);
  if (!status.ok()) ThrowApiError(status, options, "get ticket " + id);
  if (options.json()) {
    PrintJson(MessageToJson(record, /*defaults=*/true));
    return;
  }
  const v1::Ticket& t = record.ticket();
  Fields fields;
  fields.Add("id", t.id());
  fields.Add("subject", t.subject());
  fields.Add("status", ShortEnumName(v1::TicketStatus_descriptor(), t.status()));
  fields.Add("priority", ShortEnumName(v1::TicketPriority_descriptor(), t.priority()));
  fields.Add("type", t.type().empty() ? "-" : t.type());
  fields.Add("channel", t.channel().empty() ? "-" : t.channel());
  fields.Add("tags", JoinOrDash(ToVector(t.tags())));
  fields.Add("requester", t.requester().email().empty()
                              ? (t.requester().id().empty() ? "-" : t.requester().id())
                              : t.requester().email());
  fields.Add("assignee", t.assignee_id().empty() ? "-" : t.assignee_id());
  fields.Add("group", t.group_id().empty() ? "-" : t.group_id());
  std::map<std::string, std::string> custom;
  for (const auto& [key, value] : t.custom_fields()) custom[key] = ValueText(value);
  for (const auto& [key, value] : custom) fields.Add("custom_fields." + key, value);
  fields.Add("last event", record.last_event_id() + " at " + TimeText(record.last_event_time()));
  fields.Add("fired rules", JoinOrDash(ToVector(record.fired_rule_ids())));
  fields.Add("updated", TimeText(record.update_time()));
  fields.Print(std::cout);
}

void List(int limit, const GlobalOptions& options) {
  auto stub = v1::TicketService::NewStub(OpenChannel(options));
  std::vector<v1::TicketRecord> records;
  v1::ListTicketsRequest request;
  bool more = false;
  while (true) {
    request.set_page_size(limit > 0 ? std::min<int>(1000, limit - records.size()) : 1000);
    v1::ListTicketsResponse response;
    auto context = NewContext(options);
    grpc::Status status = stub->ListTickets(context.get(), request, &response);
    if (!status.ok()) ThrowApiError(status, options, "list tickets");
    for (auto& r : *response.mutable_tickets()) records.push_back(std::move(r));
    if (response.next_page_token().empty()) break;
    if (limit > 0 && static_cast<int>(records.size()) >= limit) {
      more = true;
      break;
    }
    request.set_page_token(response.next_page_token());
  }
  if (options.json()) {
    Json items = Json::array();
    for (const auto& r : records) items.push_back(MessageToJson(r, /*defaults=*/true));
    PrintJson({{"tickets", items}, {"more", more}});
    return;
  }
  Table table({"ID", "STATUS", "PRIORITY", "ASSIGNEE", "TAGS", "LAST EVENT", "SUBJECT"});
  for (const auto& r : records) {
    const v1::Ticket& t = r.ticket();
    table.Add({t.id(), ShortEnumName(v1::TicketStatus_descriptor(), t.status()),
               ShortEnumName(v1::TicketPriority_descriptor(), t.priority()),
               t.assignee_id().empty() ? "-" : t.assignee_id(), JoinOrDash(ToVector(t.tags())),
               r.last_event_id(), t.subject()});
  }
  table.Print(std::cout);
  if (more) std::cerr << "(more tickets: raise --limit, or 0 for all)\n";
}

}  // namespace

void AddTicketsCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* tickets = app.add_subcommand("tickets", "read ticket snapshots");
  tickets->require_subcommand(1);
  auto id = std::make_shared<std::string>();
  CLI::App* get = tickets->add_subcommand("get", "show a ticket and the rules that fired last");
  get->add_option("id", *id, "ticket id")->required();
  get->callback([id, &options] { Get(*id, options); });

  auto limit = std::make_shared<int>(100);
  CLI::App* ls = tickets->add_subcommand("list", "list tickets");
  ls->add_option("--limit", *limit, "at most this many; 0 = all")->capture_default_str();
  ls->callback([limit, &options] { List(*limit, options); });
}

}  // namespace triggerfish::tfctl
