#include "server/api/event_service.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "google/protobuf/util/time_util.h"
#include "google/rpc/status.pb.h"
#include "server/api/auth.h"
#include "server/api/status.h"
#include "server/common/strings.h"
#include "server/engine/event_validator.h"

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

grpc::Status EventService::PublishEvent(grpc::ServerContext* context,
                                        const v1::PublishEventRequest* request,
                                        v1::PublishEventResponse* response) {
  auto caller = auth_->Authorize(*context, Method::kPublishEvent);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto result = pipeline_->Publish((*caller)->tenant, request->event());
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status EventService::PublishEvents(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::PublishEventsResponse, v1::PublishEventRequest>* stream) {
  auto caller = auth_->Authorize(*context, Method::kPublishEvents);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  const std::string& tenant = (*caller)->tenant;
  // The reader (this thread) starts events and queues their futures; the
  // writer answers them in order as they commit. At most stream_window_
  // events are in flight: the reader stops reading (and so gRPC's flow
  // control pushes back on the client) until earlier ones are answered.
  struct Pending {
    std::string event_id;
    std::shared_future<events::PublishResult> result;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Pending> queue;
  bool reading_done = false;
  bool write_failed = false;

  std::thread writer([&] {
    while (true) {
      Pending next;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return !queue.empty() || reading_done; });
        if (queue.empty()) return;
        next = queue.front();
      }
      const events::PublishResult& result = next.result.get();
      v1::PublishEventsResponse out;
      out.set_event_id(next.event_id);
      if (result.ok()) {
        *out.mutable_result() = *result;
      } else {
        const grpc::Status status = ToGrpcStatus(result.status());
        google::rpc::Status error;
        if (!error.ParseFromString(status.error_details())) {
          error.set_code(status.error_code());
          error.set_message(status.error_message());
        }
        *out.mutable_error() = std::move(error);
      }
      const bool ok = stream->Write(out);
      std::lock_guard lock(mu);
      queue.pop_front();
      cv.notify_all();
      if (!ok) {
        write_failed = true;
        return;
      }
    }
  });

  v1::PublishEventRequest request;
  while (true) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock,
              [&] { return static_cast<int>(queue.size()) < stream_window_ || write_failed; });
      if (write_failed) break;
    }
    if (!stream->Read(&request)) break;
    Pending pending{request.event().id(), pipeline_->Start(tenant, request.event())};
    std::lock_guard lock(mu);
    queue.push_back(std::move(pending));
    cv.notify_all();
  }
  {
    std::lock_guard lock(mu);
    reading_done = true;
    cv.notify_all();
  }
  writer.join();
  if (write_failed) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
  return grpc::Status::OK;
}

}  // namespace triggerfish::server::api
