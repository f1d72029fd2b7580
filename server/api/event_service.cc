#include "server/api/event_service.h"

#include "google/protobuf/util/time_util.h"
#include "server/api/status.h"
#include "server/api/tenant.h"
#include "server/engine/event_validator.h"

namespace triggerfish::server::api {

grpc::Status EventService::EvaluateEvent(grpc::ServerContext* context,
                                         const v1::EvaluateEventRequest* request,
                                         v1::EvaluateEventResponse* response) {
  const std::string tenant = TenantOf(*context);
  Violations violations;
  engine::ValidateEvent(request->event(), "event.", &violations);
  if (!violations.empty()) return ToGrpcStatus(violations.ToStatus("invalid event"));

  std::shared_ptr<const engine::RuleSet> rule_set;
  if (request->rules_size() > 0) {
    auto drafts = rules_->CompileDrafts(request->rules());
    if (!drafts.ok()) return ToGrpcStatus(drafts.status());
    rule_set = std::move(*drafts);
  } else {
    rule_set = rules_->Snapshot(tenant);
  }

  v1::Event event = request->event();
  if (!event.has_occurred_at()) {
    *event.mutable_occurred_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  }
  engine::CycleOptions options;
  options.tenant = tenant;
  options.explain = true;
  options.dry_run = true;
  actions::UnitOfWork work(tenant, state_, /*dry_run=*/true);  // discarded
  options.work = &work;
  engine::CycleResult result = cycle_.Run(*rule_set, event, options);

  for (auto& fired : result.fired_rules) *response->add_fired_rules() = std::move(fired);
  *response->mutable_ticket_patch() = std::move(result.patch);
  *response->mutable_ticket() = std::move(result.ticket);
  for (auto& e : result.explanations) *response->add_explanations() = std::move(e);
  response->set_passes(result.passes);
  return grpc::Status::OK;
}

}  // namespace triggerfish::server::api
