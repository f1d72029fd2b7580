#include "server/jobs/timer_scheduler.h"

#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "server/common/strings.h"
#include "server/common/thread_name.h"
#include "spdlog/spdlog.h"

namespace triggerfish::server::jobs {
namespace {

using google::protobuf::util::TimeUtil;

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kLeaseUs = 60'000'000;
constexpr int kBatch = 64;

}  // namespace

TimerScheduler::TimerScheduler(store::Store* store, events::EventPipeline* pipeline,
                               std::chrono::milliseconds poll_interval)
    : store_(store),
      pipeline_(pipeline),
      poll_interval_(poll_interval),
      thread_([this] { Loop(); }) {}

TimerScheduler::~TimerScheduler() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void TimerScheduler::Loop() {
  NameThisThread("tf-timers");
  while (true) {
    FireDue();
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, poll_interval_, [&] { return stopping_; })) return;
  }
}

void TimerScheduler::FireDue() {
  auto timers = store_->ClaimDueTimers(NowMicros(), kLeaseUs, kBatch);
  if (!timers.ok()) {
    spdlog::error("timers: cannot claim due timers: {}", std::string(timers.status().message()));
    return;
  }
  std::vector<std::pair<store::TimerRow, std::shared_future<events::PublishResult>>> pending;
  for (auto& timer : *timers) {
    v1::Event event;
    event.set_id(StrCat("timer/", timer.plugin, "/", timer.key, "/", timer.due_us));
    event.set_type(timer.event_type);
    event.set_actor("system");
    *event.mutable_occurred_at() = TimeUtil::MicrosecondsToTimestamp(timer.due_us);
    for (const auto& id : timer.causation_ids) event.add_causation_ids(id);
    auto snapshot = store_->GetTicket(timer.tenant, timer.ticket_id);
    if (snapshot.ok() && snapshot->has_value()) {
      *event.mutable_ticket() = (*snapshot)->ticket;
    } else {
      event.mutable_ticket()->set_id(timer.ticket_id);
    }
    if (!timer.payload_json.empty() && timer.payload_json != "null") {
      auto parsed =
          google::protobuf::util::JsonStringToMessage(timer.payload_json, event.mutable_payload());
      if (!parsed.ok()) event.clear_payload();
    }
    events::EventPipeline::Internal internal;
    internal.fired_timer = timer;
    pending.push_back({timer, pipeline_->Start(timer.tenant, std::move(event), std::move(internal),
                                               timer.trace_id)});
  }
  for (auto& [timer, future] : pending) {
    const events::PublishResult& result = future.get();
    if (result.ok() && result->duplicate()) {
      // Its event was committed before (the same key re-scheduled for the
      // same instant): nothing to fire, and the commit did not delete it.
      store_->DeleteTimer(timer).IgnoreError();
    } else if (!result.ok()) {
      spdlog::error("timer {}/{} of tenant {} could not fire: {}", timer.plugin, timer.key,
                    timer.tenant, std::string(result.status().message()));
      store_->ReleaseTimer(timer).IgnoreError();
    }
  }
}

}  // namespace triggerfish::server::jobs
