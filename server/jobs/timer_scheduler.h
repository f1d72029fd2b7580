#pragma once

// Fires durable timers: a thread claims due timers from the store (with a
// lease) and publishes each as an event for its ticket through the event
// pipeline; the timer is deleted in the event's transaction. Timers that came
// due while the server was down fire right after it starts.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "server/events/event_pipeline.h"
#include "server/store/store.h"

namespace triggerfish::server::jobs {

class TimerScheduler {
 public:
  TimerScheduler(store::Store* store, events::EventPipeline* pipeline,
                 std::chrono::milliseconds poll_interval);
  ~TimerScheduler();

  // Fires everything due now (also used by the loop).
  void FireDue();

 private:
  void Loop();

  store::Store* store_;
  events::EventPipeline* pipeline_;
  std::chrono::milliseconds poll_interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace triggerfish::server::jobs
