#pragma once

// gRPC adapter of EventService.

#include "server/actions/unit_of_work.h"
#include "server/engine/trigger_cycle.h"
#include "server/rules/rule_manager.h"
#include "triggerfish/v1/event_service.grpc.pb.h"

namespace triggerfish::server::api {

class EventService final : public v1::EventService::Service {
 public:
  // `state` gives dry-run evaluations read access to plugin state.
  EventService(rules::RuleManager* rules, const engine::ActionCatalog* catalog,
               actions::PluginStateCache* state)
      : rules_(rules), cycle_(*catalog), state_(state) {}

  grpc::Status EvaluateEvent(grpc::ServerContext* context, const v1::EvaluateEventRequest* request,
                             v1::EvaluateEventResponse* response) override;

 private:
  rules::RuleManager* rules_;
  engine::TriggerCycle cycle_;
  actions::PluginStateCache* state_;
};

}  // namespace triggerfish::server::api
