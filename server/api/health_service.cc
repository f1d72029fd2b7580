#include "server/api/health_service.h"

#include <vector>

#include "server/common/tsan_hand_off.h"

namespace triggerfish::server::api {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// One Watch stream. Its state is guarded by the service's mutex. An action
// (write or finish) is claimed under the mutex and performed after it is
// released: gRPC may run reactions inline, and a claimed write or finish
// keeps the reactor alive (OnDone comes only after both completed), so the
// pointer stays valid while it is performed.
class HealthService::Watcher final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  enum class Action { kNone, kWrite, kFinishShutdown, kFinishCancelled };

  Watcher(HealthService* service, bool known) : service_(service), known_(known) {}

  // What to do next, claimed: a write of a status not yet sent, or the end
  // of the stream once the last status (NOT_SERVING) has gone out at
  // shutdown.
  Action NextLocked() {
    if (finished_ || writing_) return Action::kNone;
    const Status target = known_ ? service_->status_ : HealthCheckResponse::SERVICE_UNKNOWN;
    if (!sent_any_ || target != sent_) {
      sent_any_ = true;
      sent_ = target;
      response_.set_status(target);
      writing_ = true;
      return Action::kWrite;
    }
    if (service_->shut_down_) {
      finished_ = true;
      return Action::kFinishShutdown;
    }
    return Action::kNone;
  }

  void Perform(Action action) {
    HandOffRelease(this);  // to the callbacks of what starts here
    switch (action) {
      case Action::kNone:
        break;
      case Action::kWrite:
        StartWrite(&response_);
        break;
      case Action::kFinishShutdown:
        Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
        break;
      case Action::kFinishCancelled:
        Finish(grpc::Status::CANCELLED);
        break;
    }
  }

  void OnWriteDone(bool ok) override {
    HandOffAcquire(this);
    Action action = Action::kNone;
    {
      std::lock_guard lock(service_->mu_);
      writing_ = false;
      if (!ok) {
        if (!finished_) {
          finished_ = true;
          action = Action::kFinishCancelled;
        }
      } else {
        action = NextLocked();
      }
    }
    Perform(action);
  }

  void OnCancel() override {
    HandOffAcquire(this);
    Action action = Action::kNone;
    {
      std::lock_guard lock(service_->mu_);
      // A write in progress fails and finishes the stream in OnWriteDone.
      if (!finished_ && !writing_) {
        finished_ = true;
        action = Action::kFinishCancelled;
      }
    }
    Perform(action);
  }

  void OnDone() override {
    HandOffAcquire(this);
    {
      std::lock_guard lock(service_->mu_);
      service_->watchers_.erase(this);
    }
    delete this;
  }

 private:
  HealthService* const service_;
  const bool known_;
  bool writing_ = false;
  bool finished_ = false;
  bool sent_any_ = false;
  Status sent_ = HealthCheckResponse::UNKNOWN;
  HealthCheckResponse response_;
};

void HealthService::SetServing(bool serving) {
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return;
    status_ = serving ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
  }
  NotifyAll();
}

void HealthService::Shutdown() {
  {
    std::lock_guard lock(mu_);
    shut_down_ = true;
    status_ = HealthCheckResponse::NOT_SERVING;
  }
  NotifyAll();
}

void HealthService::NotifyAll() {
  std::vector<std::pair<Watcher*, Watcher::Action>> actions;
  {
    std::lock_guard lock(mu_);
    for (Watcher* watcher : watchers_) {
      const Watcher::Action action = watcher->NextLocked();
      if (action != Watcher::Action::kNone) actions.emplace_back(watcher, action);
    }
  }
  for (const auto& [watcher, action] : actions) watcher->Perform(action);
}

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* context,
                                               const HealthCheckRequest* request,
                                               HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!request->service().empty()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service"));
    return reactor;
  }
  {
    std::lock_guard lock(mu_);
    response->set_status(status_);
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext* /*context*/, const HealthCheckRequest* request) {
  auto* watcher = new Watcher(this, request->service().empty());
  Watcher::Action action;
  {
    std::lock_guard lock(mu_);
    watchers_.insert(watcher);
    action = watcher->NextLocked();
  }
  watcher->Perform(action);
  return watcher;
}

}  // namespace triggerfish::server::api
