#include "server/api/ticket_service.h"

#include "google/protobuf/util/time_util.h"
#include "server/api/auth.h"
#include "server/api/paging.h"
#include "server/api/status.h"
#include "server/common/page_bytes.h"
#include "server/common/strings.h"
#include "server/common/violations.h"

namespace triggerfish::server::api {
namespace {

using google::protobuf::util::TimeUtil;

void Fill(store::TicketRow row, v1::TicketRecord* out) {
  *out->mutable_ticket() = std::move(row.ticket);
  out->set_last_event_id(row.last_event_id);
  out->set_last_event_trace_id(row.last_event_trace_id);
  *out->mutable_last_event_time() = TimeUtil::MicrosecondsToTimestamp(row.last_event_us);
  for (auto& id : row.fired_rule_ids) out->add_fired_rule_ids(std::move(id));
  *out->mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(row.updated_us);
}

}  // namespace

grpc::Status TicketService::GetTicket(grpc::ServerContext* context,
                                      const v1::GetTicketRequest* request,
                                      v1::TicketRecord* response) {
  auto caller = auth_->Authorize(*context, Method::kGetTicket);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (request->id().empty()) {
    Violations v;
    v.Add("id", "required");
    return ToGrpcStatus(v.ToStatus("invalid request"));
  }
  auto row = store_->GetTicket((*caller)->tenant, request->id());
  if (!row.ok()) return ToGrpcStatus(row.status());
  if (!row->has_value()) {
    return ToGrpcStatus(WithReason(
        absl::NotFoundError(StrCat("no event was published for ticket \"", request->id(), "\"")),
        "TICKET_NOT_FOUND"));
  }
  Fill(std::move(**row), response);
  return grpc::Status::OK;
}

grpc::Status TicketService::ListTickets(grpc::ServerContext* context,
                                        const v1::ListTicketsRequest* request,
                                        v1::ListTicketsResponse* response) {
  auto caller = auth_->Authorize(*context, Method::kListTickets);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  Violations v;
  const PageRequest page =
      ParsePageRequest(request->page_size(), request->page_token(), "tickets", &v);
  if (!v.empty()) return ToGrpcStatus(v.ToStatus("invalid list request"));
  const int page_size = page.size;
  auto rows = store_->ListTickets((*caller)->tenant, page.after, page_size + 1);
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  bool more = static_cast<int>(rows->size()) > page_size;
  if (more) rows->resize(page_size);
  size_t bytes = 0;
  for (size_t i = 0; i < rows->size(); ++i) {
    v1::TicketRecord* record = response->add_tickets();
    Fill(std::move((*rows)[i]), record);
    bytes += record->ByteSizeLong();
    if (bytes > MaxPageBytes() && i + 1 < rows->size()) {
      more = true;  // the rest on the next page
      break;
    }
  }
  if (more) {
    response->set_next_page_token(
        PageTokenAfter("tickets", response->tickets().rbegin()->ticket().id()));
  }
  return grpc::Status::OK;
}

}  // namespace triggerfish::server::api
