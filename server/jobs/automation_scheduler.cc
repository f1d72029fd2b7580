#include "server/jobs/automation_scheduler.h"

#include <algorithm>
#include <chrono>

#include "google/protobuf/util/time_util.h"
#include "server/common/strings.h"
#include "server/common/thread_name.h"
#include "spdlog/spdlog.h"

namespace triggerfish::server::jobs {
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kTickEvent[] = "schedule.tick";

}  // namespace

AutomationScheduler::AutomationScheduler(store::Store* store, rules::RuleManager* rules,
                                         events::EventPipeline* pipeline,
                                         std::chrono::milliseconds interval, int batch)
    : store_(store),
      rules_(rules),
      pipeline_(pipeline),
      interval_(interval),
      batch_(batch),
      thread_([this] { Loop(); }) {}

AutomationScheduler::~AutomationScheduler() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void AutomationScheduler::Loop() {
  NameThisThread("tf-automation");
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, interval_, [&] { return stopping_; })) return;
    }
    Tick();
  }
}

void AutomationScheduler::Tick() {
  for (const std::string& tenant : rules_->TenantsListeningTo(kTickEvent)) TickTenant(tenant);
}

void AutomationScheduler::TickTenant(const std::string& tenant) {
  std::string& cursor = cursors_[tenant];
  auto rows = store_->ListTickets(tenant, cursor, batch_);
  if (!rows.ok()) {
    spdlog::error("automations of tenant {}: cannot list tickets: {}", tenant,
                  std::string(rows.status().message()));
    return;
  }
  // Wrap around once the end is reached, so every ticket gets its turn.
  cursor = static_cast<int>(rows->size()) < batch_ ? "" : rows->back().ticket.id();

  auto rule_set = rules_->Snapshot(tenant);
  const engine::TypeRules* tick_rules = rule_set->ForEventType(kTickEvent);
  if (tick_rules == nullptr) return;
  // Microseconds: the tick's event ids must differ from one tick to the next.
  const google::protobuf::Timestamp now =
      TimeUtil::MicrosecondsToTimestamp(std::chrono::duration_cast<std::chrono::microseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
  std::vector<std::shared_future<events::PublishResult>> pending;
  for (store::TicketRow& row : *rows) {
    if (row.ticket.status() == v1::TICKET_STATUS_CLOSED) continue;
    v1::Event event;
    event.set_id(StrCat("tick/", row.ticket.id(), "/", TimeUtil::TimestampToMicroseconds(now)));
    event.set_type(kTickEvent);
    event.set_actor("system");
    *event.mutable_occurred_at() = now;
    *event.mutable_ticket() = row.ticket;

    // Keep latched only the rules whose condition still holds.
    engine::EvalInput input;
    input.event = &event;
    input.ticket = &event.ticket();
    input.now_micros = TimeUtil::TimestampToMicroseconds(now);
    events::EventPipeline::Internal internal;
    internal.automation = true;
    internal.previous_latched = row.latched_rule_ids;
    for (const std::string& id : row.latched_rule_ids) {
      auto it = std::find_if(tick_rules->rules.begin(), tick_rules->rules.end(),
                             [&](const engine::CompiledRule* r) { return r->id() == id; });
      if (it == tick_rules->rules.end()) continue;  // deleted or disabled: unlatch
      const engine::CompiledRule& rule = **it;
      if (!rule.condition || engine::Evaluate(*rule.condition, input)) {
        internal.latched_rule_ids.push_back(id);
      }
    }
    pending.push_back(pipeline_->Start(tenant, std::move(event), std::move(internal)));
  }
  for (auto& future : pending) {
    const events::PublishResult& result = future.get();
    if (!result.ok()) {
      spdlog::error("automations of tenant {}: {}", tenant, std::string(result.status().message()));
    }
  }
}

}  // namespace triggerfish::server::jobs
