#include "server/engine/trigger_cycle.h"

#include <algorithm>

#include "server/common/strings.h"
#include "server/engine/ticket_patch.h"

namespace triggerfish::server::engine {
namespace {

int64_t MicrosOf(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1'000'000 + ts.nanos() / 1000;
}

}  // namespace

CycleResult TriggerCycle::Run(const RuleSet& rules, const v1::Event& event,
                              const CycleOptions& options) const {
  CycleResult result;
  result.ticket = event.ticket();
  EvalInput input;
  input.event = &event;
  input.ticket = &result.ticket;
  input.previous = event.has_previous() ? &event.previous() : nullptr;
  input.now_micros = options.now_micros != 0 ? options.now_micros : MicrosOf(event.occurred_at());

  const TypeRules* type_rules = rules.ForEventType(event.type());
  // Explanations of fired rules, taken on the ticket they fired on.
  std::vector<std::pair<const CompiledRule*, v1::ConditionExplanation>> fired_explanations;

  if (type_rules != nullptr) {
    const size_t n = type_rules->rules.size();
    RuleBitset fired(n);
    // Rules whose condition was false on the current working ticket. A pass
    // after a rule fired skips those that read nothing its patches changed:
    // they would be false again. This keeps the semantics of restarting from
    // the top without re-evaluating every earlier rule.
    RuleBitset known_false(n);
    RuleBitset skipped(n);
    if (options.skip_rule_ids != nullptr) {
      for (size_t i = 0; i < n; ++i) {
        const auto& ids = *options.skip_rule_ids;
        if (std::find(ids.begin(), ids.end(), type_rules->rules[i]->id()) != ids.end()) {
          skipped.Set(i);
        }
      }
    }
    RuleBitset candidates;
    bool fired_in_pass = true;
    while (fired_in_pass) {
      fired_in_pass = false;
      ++result.passes;
      type_rules->index.Candidates(input, &candidates);
      candidates.AndNot(fired);
      candidates.AndNot(known_false);
      candidates.AndNot(skipped);
      for (size_t i = candidates.NextSet(0); i < n; i = candidates.NextSet(i + 1)) {
        const CompiledRule& rule = *type_rules->rules[i];
        ++result.conditions_evaluated;
        if (rule.condition && !Evaluate(*rule.condition, input)) {
          known_false.Set(i);
          continue;
        }
        if (options.explain && rule.condition) {
          fired_explanations.push_back({&rule, Explain(*rule.condition, input)});
        }
        fired.Set(i);
        fired_in_pass = true;
        uint64_t changed = 0;
        v1::FiredRule& out = result.fired_rules.emplace_back();
        out.set_rule_id(rule.id());
        out.set_rule_name(rule.rule.name());
        out.set_pass(result.passes);
        for (size_t a = 0; a < rule.actions.size(); ++a) {
          const CompiledAction& action = rule.actions[a];
          v1::ActionResult* ar = out.add_actions();
          ar->set_type(action.type);
          ar->set_index(static_cast<int>(a));
          if (!action.mode) {
            ar->set_status(v1::ACTION_STATUS_FAILED);
            ar->set_message(
                StrCat("unknown action type \"", action.type, "\": no loaded plugin provides it"));
            continue;
          }
          if (*action.mode == ActionMode::kDeferred) {
            ar->set_status(v1::ACTION_STATUS_QUEUED);
            result.deferred_actions.push_back(
                {rule.id(), static_cast<int>(a), action.type, action.params});
            continue;
          }
          if (options.failed_actions != nullptr) {
            auto failed = options.failed_actions->find({rule.id(), static_cast<int>(a)});
            if (failed != options.failed_actions->end()) {
              ar->set_status(v1::ACTION_STATUS_FAILED);
              ar->set_message(failed->second);
              continue;
            }
          }
          ActionRequest request;
          request.tenant = options.tenant;
          request.rule_id = rule.id();
          request.action_index = static_cast<int>(a);
          request.type = action.type;
          request.params = &action.params;
          request.ticket = &result.ticket;
          request.event = &event;
          request.dry_run = options.dry_run;
          request.work = options.work;
          ActionOutcome outcome = catalog_.RunInline(request);
          ar->set_message(outcome.message);
          if (outcome.output.kind_case() != google::protobuf::Value::KIND_NOT_SET) {
            *ar->mutable_output() = std::move(outcome.output);
          }
          if (outcome.code == ActionOutcome::Code::kOk) {
            ar->set_status(v1::ACTION_STATUS_SUCCEEDED);
            changed |= PatchBits(outcome.patch);
            ApplyPatch(outcome.patch, &result.ticket);
            *ar->mutable_ticket_patch() = std::move(outcome.patch);
          } else {
            ar->set_status(v1::ACTION_STATUS_FAILED);
          }
        }
        if (changed != 0) {
          for (size_t j = known_false.NextSet(0); j < n; j = known_false.NextSet(j + 1)) {
            if (type_rules->rules[j]->reads & changed) known_false.Reset(j);
          }
        }
        break;  // restart from the top with the updated ticket
      }
    }
  }
  if (!result.fired_rules.empty()) result.patch = DiffTickets(event.ticket(), result.ticket);

  if (options.explain) {
    for (const auto& rule_ptr : rules.rules()) {
      const CompiledRule& rule = *rule_ptr;
      v1::RuleExplanation& e = result.explanations.emplace_back();
      e.set_rule_id(rule.id());
      e.set_rule_name(rule.rule.name());
      if (!rule.enabled()) {
        e.set_outcome(v1::RULE_OUTCOME_DISABLED);
        e.set_summary("rule is disabled");
        continue;
      }
      if (!rule.ListensTo(event.type())) {
        e.set_outcome(v1::RULE_OUTCOME_NOT_TRIGGERED);
        e.set_summary(StrCat("rule does not listen to \"", event.type(), "\""));
        continue;
      }
      bool fired = false;
      int pass = 0;
      for (const auto& f : result.fired_rules) {
        if (f.rule_id() == rule.id()) {
          fired = true;
          pass = f.pass();
        }
      }
      if (fired) {
        e.set_outcome(v1::RULE_OUTCOME_FIRED);
        e.set_summary(StrCat("fired in pass ", pass));
        for (auto& [r, explanation] : fired_explanations) {
          if (r == &rule) *e.mutable_condition() = explanation;
        }
        continue;
      }
      e.set_outcome(v1::RULE_OUTCOME_CONDITION_FALSE);
      *e.mutable_condition() = Explain(*rule.condition, input);
      e.set_summary(SummarizeFailure(e.condition()));
    }
  }
  return result;
}

}  // namespace triggerfish::server::engine
