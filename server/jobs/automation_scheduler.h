#pragma once

// Time-based rules ("automations"): every interval, each tenant's rules
// triggered by `schedule.tick` are evaluated over its tickets that are not
// closed, as a schedule.tick event per ticket.
//
// A rule fires for a ticket at most once until its condition has stopped
// holding: a fired rule is latched for the ticket, and unlatched on the first
// tick at which its condition is false - so no "nullifying condition" is
// needed. Ticks that fire nothing and change no latch store nothing.
//
// Work per tick is bounded and fair: each tenant gets at most `batch`
// tickets per tick, continuing from where its previous tick stopped.

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "server/events/event_pipeline.h"
#include "server/rules/rule_manager.h"
#include "server/store/store.h"

namespace triggerfish::server::jobs {

class AutomationScheduler {
 public:
  AutomationScheduler(store::Store* store, rules::RuleManager* rules,
                      events::EventPipeline* pipeline, std::chrono::milliseconds interval,
                      int batch);
  ~AutomationScheduler();

  // Runs one tick for every tenant (also used by the loop).
  void Tick();

 private:
  void Loop();
  void TickTenant(const std::string& tenant);

  store::Store* store_;
  rules::RuleManager* rules_;
  events::EventPipeline* pipeline_;
  std::chrono::milliseconds interval_;
  int batch_;
  // Per tenant: the last ticket id of its previous tick.
  std::map<std::string, std::string> cursors_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace triggerfish::server::jobs
