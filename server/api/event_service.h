#pragma once

// gRPC adapter of EventService.

#include "server/engine/trigger_cycle.h"
#include "server/rules/rule_manager.h"
#include "triggerfish/v1/event_service.grpc.pb.h"

namespace triggerfish::server::api {

class EventService final : public v1::EventService::Service {
 public:
  EventService(rules::RuleManager* rules, const engine::ActionCatalog* catalog)
      : rules_(rules), cycle_(*catalog) {}

  grpc::Status EvaluateEvent(grpc::ServerContext* context, const v1::EvaluateEventRequest* request,
                             v1::EvaluateEventResponse* response) override;

 private:
  rules::RuleManager* rules_;
  engine::TriggerCycle cycle_;
};

}  // namespace triggerfish::server::api
