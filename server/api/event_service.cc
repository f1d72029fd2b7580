#include "server/api/event_service.h"

#include "google/protobuf/util/time_util.h"
#include "server/api/auth.h"
#include "server/api/malformed_request.h"
#include "server/api/publish_events_reactor.h"
#include "server/api/raw_message.h"
#include "server/api/status.h"
#include "server/common/strings.h"
#include "server/engine/event_validator.h"
#include "server/observability/trace_context.h"

namespace triggerfish::server::api {

grpc::Status EventService::EvaluateEvent(grpc::ServerContext* context,
                                         const v1::EvaluateEventRequest* request,
                                         v1::EvaluateEventResponse* response) {
  auto caller = auth_->Authorize(*context, Method::kEvaluateEvent);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  const std::string& tenant = (*caller)->tenant;
  Violations violations;
  engine::ValidateEvent(request->event(), "event.", rules_->limits().max_event_bytes, &violations);
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
  if (!v1::ExplainLevel_IsValid(request->explain())) {
    Violations v;
    v.Add("explain", StrCat("unknown explain level ", static_cast<int>(request->explain())));
    return ToGrpcStatus(v.ToStatus("invalid request"));
  }
  engine::CycleOptions options;
  options.tenant = tenant;
  options.explain = request->explain() != v1::EXPLAIN_LEVEL_NONE;
  options.dry_run = true;
  actions::UnitOfWork work(tenant, state_, /*dry_run=*/true);  // discarded
  options.work = &work;
  engine::CycleResult result = cycle_.Run(*rule_set, event, options);

  for (auto& fired : result.fired_rules) *response->add_fired_rules() = std::move(fired);
  *response->mutable_ticket_patch() = std::move(result.patch);
  *response->mutable_ticket() = std::move(result.ticket);
  const bool trees = request->explain() == v1::EXPLAIN_LEVEL_UNSPECIFIED ||
                     request->explain() == v1::EXPLAIN_LEVEL_FULL;
  for (auto& e : result.explanations) {
    if (!trees) e.clear_condition();
    *response->add_explanations() = std::move(e);
  }
  response->set_passes(result.passes);
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* EventService::PublishEvent(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* request_bytes,
                                                     grpc::ByteBuffer* response_bytes) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto caller = auth_->Authorize(*context, Method::kPublishEvent);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  v1::PublishEventRequest request;
  if (!ParseMessage(*request_bytes, &request)) {
    reactor->Finish(MalformedRequestStatus("/triggerfish.v1.EventService/PublishEvent"));
    return reactor;
  }
  pipeline_->StartAsync((*caller)->tenant, std::move(*request.mutable_event()),
                        [reactor, response_bytes](events::PublishResult result) {
                          if (!result.ok()) return reactor->Finish(ToGrpcStatus(result.status()));
                          SerializeMessage(*result, response_bytes);
                          reactor->Finish(grpc::Status::OK);
                        },
                        std::nullopt, observability::TraceIdOf(*context));
  return reactor;
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* EventService::PublishEvents(
    grpc::CallbackServerContext* context) {
  auto caller = auth_->Authorize(*context, Method::kPublishEvents);
  if (!caller.ok()) return PublishEventsReactor::Reject(ToGrpcStatus(caller.status()));
  return new PublishEventsReactor(pipeline_, (*caller)->tenant, stream_window_,
                                  observability::TraceIdOf(*context));
}

}  // namespace triggerfish::server::api
