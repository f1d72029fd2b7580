#pragma once

// The trigger cycle: runs one event through a tenant's rules.
//
// 1. Take the enabled rules listening to the event's type, in position order.
// 2. The first rule whose condition holds fires: its actions run in order;
//    inline actions' patches apply to the working ticket at once, deferred
//    actions are collected for the caller to queue.
// 3. Start again from the top with the updated ticket, skipping rules that
//    already fired. The cycle ends when a pass fires nothing; each rule fires
//    at most once, so there are at most (rules + 1) passes.
//
//   TriggerCycle cycle(catalog);
//   CycleResult result = cycle.Run(rule_set, event, {.tenant = "default"});

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/engine/action.h"
#include "server/engine/rule_set.h"
#include "triggerfish/v1/event_service.pb.h"

namespace triggerfish::server::engine {

struct CycleOptions {
  std::string_view tenant;
  // Produce a RuleExplanation for every rule of the set.
  bool explain = false;
  // Inline actions must not change durable state (EvaluateEvent).
  bool dry_run = false;
  // Evaluation instant for time-relative fields; defaults to
  // event.occurred_at.
  int64_t now_micros = 0;
  // Passed to every inline action (see ActionRequest::work).
  actions::UnitOfWork* work = nullptr;
  // Rules that must not fire for this event (schedule.tick rules latched for
  // the ticket); null for none.
  const std::vector<std::string>* skip_rule_ids = nullptr;
  // Inline actions, by (rule id, action index), that are not called again
  // but fail with the given message: a call of an earlier run of this event
  // that never returned. Null for none.
  const std::map<std::pair<std::string, int>, std::string>* failed_actions = nullptr;
};

// A deferred action of a fired rule, for the caller to queue.
struct DeferredAction {
  std::string rule_id;
  int action_index = 0;
  std::string type;
  google::protobuf::Struct params;
};

struct CycleResult {
  std::vector<v1::FiredRule> fired_rules;
  // The ticket after all inline actions.
  v1::Ticket ticket;
  // Net change from the event's ticket to `ticket`.
  v1::TicketPatch patch;
  std::vector<DeferredAction> deferred_actions;
  // With CycleOptions::explain: one per rule of the set, in position order.
  std::vector<v1::RuleExplanation> explanations;
  int passes = 0;
  // Number of conditions evaluated (for metrics and benchmarks).
  int64_t conditions_evaluated = 0;
};

class TriggerCycle {
 public:
  explicit TriggerCycle(const ActionCatalog& catalog) : catalog_(catalog) {}

  // Runs the cycle. Never fails: action failures are recorded per action.
  CycleResult Run(const RuleSet& rules, const v1::Event& event, const CycleOptions& options) const;

 private:
  const ActionCatalog& catalog_;
};

}  // namespace triggerfish::server::engine
