#pragma once

// gRPC adapter of EventService.

#include "server/actions/unit_of_work.h"
#include "server/api/auth.h"
#include "server/engine/trigger_cycle.h"
#include "server/events/event_pipeline.h"
#include "server/rules/rule_manager.h"
#include "triggerfish/v1/event_service.grpc.pb.h"

namespace triggerfish::server::api {

// PublishEvent and PublishEvents use gRPC's callback API: an event waiting
// for its group commit holds no thread, and the commit answers it. They take
// their requests as bytes and parse them here, so that a request that does
// not parse gets INVALID_ARGUMENT (and, in a stream, fails alone).
class EventService final
    : public v1::EventService::WithRawCallbackMethod_PublishEvent<
          v1::EventService::WithRawCallbackMethod_PublishEvents<v1::EventService::Service>> {
 public:
  // `state` gives dry-run evaluations read access to plugin state.
  // `stream_window`: events in flight per PublishEvents stream.
  EventService(const Authorizer* auth, rules::RuleManager* rules,
               const engine::ActionCatalog* catalog, actions::PluginStateCache* state,
               events::EventPipeline* pipeline, int stream_window)
      : auth_(auth),
        rules_(rules),
        cycle_(*catalog),
        state_(state),
        pipeline_(pipeline),
        stream_window_(stream_window) {}

  grpc::Status EvaluateEvent(grpc::ServerContext* context, const v1::EvaluateEventRequest* request,
                             v1::EvaluateEventResponse* response) override;
  grpc::ServerUnaryReactor* PublishEvent(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* PublishEvents(
      grpc::CallbackServerContext* context) override;

 private:
  const Authorizer* auth_;
  rules::RuleManager* rules_;
  engine::TriggerCycle cycle_;
  actions::PluginStateCache* state_;
  events::EventPipeline* pipeline_;
  int stream_window_;
};

}  // namespace triggerfish::server::api
