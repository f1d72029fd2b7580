// The trigger cycle as DESIGN.md describes it: position order (ties by id),
// restart from the top after a rule fires, each rule at most once, actions
// in order with inline patches applied at once, deferred actions queued, and
// an explanation for every rule.

#include "server/engine/trigger_cycle.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/engine/compiled_rule.h"
#include "tests/server/engine/test_action_catalog.h"
#include "tests/server/testing/proto_json.h"

namespace triggerfish::server::engine {
namespace {

using ::testing::ElementsAre;
using testing::TestActionCatalog;
using triggerfish::testing::FromJson;
using triggerfish::testing::ToJson;

class TriggerCycleTest : public ::testing::Test {
 protected:
  // Adds a rule written as JSON; it must compile.
  void AddRule(const std::string& json) {
    Violations violations;
    auto rule = CompileRule(FromJson<v1::Rule>(json), "rule.", limits_, catalog_, &violations);
    ASSERT_NE(rule, nullptr) << json << "\n"
                             << (violations.empty() ? ""
                                                    : violations.items()[0].field + ": " +
                                                          violations.items()[0].description);
    rules_.push_back(std::move(rule));
  }

  CycleResult Run(const std::string& event_json, CycleOptions options = {.tenant = "acme"}) {
    event_ = FromJson<v1::Event>(event_json);
    RuleSet set(rules_);
    return TriggerCycle(catalog_).Run(set, event_, options);
  }

  static std::vector<std::string> FiredIds(const CycleResult& r) {
    std::vector<std::string> out;
    for (const auto& f : r.fired_rules) out.push_back(f.rule_id());
    return out;
  }

  static const v1::RuleExplanation* ExplanationOf(const CycleResult& r, const std::string& id) {
    for (const auto& e : r.explanations) {
      if (e.rule_id() == id) return &e;
    }
    return nullptr;
  }

  RuleLimits limits_;
  TestActionCatalog catalog_;
  std::vector<std::shared_ptr<const CompiledRule>> rules_;
  v1::Event event_;
};

// A rule listening to ticket.updated with `condition` (JSON or empty) that
// adds the tag `tag`.
std::string TaggingRule(const std::string& id, int position, const std::string& tag,
                        const std::string& condition = "") {
  std::string json = R"({"id": ")" + id + R"(", "name": "Rule )" + id + R"(", "position": )" +
                     std::to_string(position) +
                     R"(, "trigger": {"event_types": ["ticket.updated"]},
        "actions": [{"type": "ticket.patch", "params": {"add_tags": [")" +
                     tag + R"("]}}])";
  if (!condition.empty()) json += R"(, "condition": )" + condition;
  return json + "}";
}

constexpr char kEvent[] = R"({"id": "ev1", "type": "ticket.updated",
    "occurred_at": "2026-03-02T10:00:00Z",
    "ticket": {"id": "t1", "status": "TICKET_STATUS_NEW", "priority": "TICKET_PRIORITY_NORMAL",
               "tags": ["vip"], "created_at": "2026-03-01T10:00:00Z"}})";

TEST_F(TriggerCycleTest, RulesFireInPositionOrderWithIdBreakingTies) {
  AddRule(TaggingRule("rule-b", 1, "b"));
  AddRule(TaggingRule("rule-a", 1, "a"));
  AddRule(TaggingRule("rule-c", 0, "c"));
  AddRule(TaggingRule("rule-z", -5, "z"));
  auto r = Run(kEvent);
  EXPECT_THAT(FiredIds(r), ElementsAre("rule-z", "rule-c", "rule-a", "rule-b"));
  EXPECT_THAT(r.ticket.tags(), ElementsAre("vip", "z", "c", "a", "b"));
  // One pass per fired rule, then a pass that fires nothing.
  EXPECT_EQ(r.passes, 5);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(r.fired_rules[i].pass(), i + 1);
  EXPECT_EQ(r.fired_rules[0].rule_name(), "Rule rule-z");
}

TEST_F(TriggerCycleTest, RestartsFromTheTopWithTheUpdatedTicket) {
  // "escalate" comes first but only holds once "vip-urgent" (later in order)
  // has raised the priority.
  AddRule(TaggingRule(
      "escalate", 1, "escalated",
      R"({"predicate": {"field": "ticket.priority", "operator": "is", "value": "urgent"}})"));
  AddRule(R"({"id": "vip-urgent", "name": "VIP is urgent", "position": 2,
              "trigger": {"event_types": ["ticket.updated"]},
              "condition": {"predicate": {"field": "ticket.tags", "operator": "includes_any",
                                          "value": ["vip"]}},
              "actions": [{"type": "ticket.patch",
                           "params": {"priority": "TICKET_PRIORITY_URGENT"}}]})");
  auto r = Run(kEvent);
  EXPECT_THAT(FiredIds(r), ElementsAre("vip-urgent", "escalate"));
  EXPECT_EQ(r.fired_rules[0].pass(), 1);
  EXPECT_EQ(r.fired_rules[1].pass(), 2);
  EXPECT_EQ(r.ticket.priority(), v1::TICKET_PRIORITY_URGENT);
  EXPECT_THAT(r.ticket.tags(), ElementsAre("vip", "escalated"));
  EXPECT_EQ(r.patch.priority(), v1::TICKET_PRIORITY_URGENT);
  EXPECT_THAT(r.patch.add_tags(), ElementsAre("escalated"));
}

TEST_F(TriggerCycleTest, EachRuleFiresAtMostOnceEvenWhenRulesUndoEachOther) {
  AddRule(R"({"id": "open-it", "name": "n", "position": 1,
              "trigger": {"event_types": ["ticket.updated"]},
              "condition": {"predicate": {"field": "ticket.status", "operator": "is",
                                          "value": "new"}},
              "actions": [{"type": "ticket.patch", "params": {"status": "TICKET_STATUS_OPEN"}}]})");
  AddRule(R"({"id": "reset-it", "name": "n", "position": 2,
              "trigger": {"event_types": ["ticket.updated"]},
              "condition": {"predicate": {"field": "ticket.status", "operator": "is",
                                          "value": "open"}},
              "actions": [{"type": "ticket.patch", "params": {"status": "TICKET_STATUS_NEW"}}]})");
  AddRule(TaggingRule("always", 3, "seen"));
  auto r = Run(kEvent);
  EXPECT_THAT(FiredIds(r), ElementsAre("open-it", "reset-it", "always"));
  EXPECT_EQ(r.ticket.status(), v1::TICKET_STATUS_NEW);
  // Back where it started: the net patch does not touch the status.
  EXPECT_FALSE(r.patch.has_status());
  EXPECT_THAT(r.patch.add_tags(), ElementsAre("seen"));
  EXPECT_EQ(r.passes, 4);
}

TEST_F(TriggerCycleTest, DisabledRulesAreSkippedAndExplained) {
  AddRule(R"({"id": "off", "name": "Off", "enabled": false,
              "trigger": {"event_types": ["ticket.updated"]},
              "actions": [{"type": "ticket.patch", "params": {"add_tags": ["off"]}}]})");
  AddRule(TaggingRule("on", 1, "on"));
  auto r = Run(kEvent, {.tenant = "acme", .explain = true});
  EXPECT_THAT(FiredIds(r), ElementsAre("on"));
  const auto* off = ExplanationOf(r, "off");
  ASSERT_NE(off, nullptr);
  EXPECT_EQ(off->outcome(), v1::RULE_OUTCOME_DISABLED);
  EXPECT_EQ(off->summary(), "rule is disabled");
  EXPECT_EQ(off->rule_name(), "Off");
}

TEST_F(TriggerCycleTest, RulesOfOtherEventTypesAreNotTriggered) {
  AddRule(R"({"id": "on-create", "name": "n", "trigger": {"event_types": ["ticket.created"]},
              "actions": [{"type": "ticket.patch", "params": {"add_tags": ["created"]}}]})");
  AddRule(R"({"id": "on-both", "name": "n", "position": 1,
              "trigger": {"event_types": ["ticket.created", "ticket.updated"]},
              "actions": [{"type": "ticket.patch", "params": {"add_tags": ["both"]}}]})");
  auto r = Run(kEvent, {.tenant = "acme", .explain = true});
  EXPECT_THAT(FiredIds(r), ElementsAre("on-both"));
  ASSERT_EQ(r.explanations.size(), 2u);
  const auto* created = ExplanationOf(r, "on-create");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->outcome(), v1::RULE_OUTCOME_NOT_TRIGGERED);
  EXPECT_EQ(created->summary(), "rule does not listen to \"ticket.updated\"");
  EXPECT_EQ(ExplanationOf(r, "on-both")->outcome(), v1::RULE_OUTCOME_FIRED);
  EXPECT_EQ(ExplanationOf(r, "on-both")->summary(), "fired in pass 1");
}

TEST_F(TriggerCycleTest, EventTypeWithoutRulesFiresNothing) {
  AddRule(R"({"id": "on-create", "name": "n", "trigger": {"event_types": ["ticket.created"]}})");
  auto r = Run(R"({"id": "e", "type": "sla.breached", "ticket": {"id": "t1", "tags": ["a"]}})",
               {.tenant = "acme", .explain = true});
  EXPECT_TRUE(r.fired_rules.empty());
  EXPECT_EQ(r.patch.ByteSizeLong(), 0u);
  EXPECT_THAT(r.ticket.tags(), ElementsAre("a"));
  ASSERT_EQ(r.explanations.size(), 1u);
  EXPECT_EQ(r.explanations[0].outcome(), v1::RULE_OUTCOME_NOT_TRIGGERED);
}

TEST_F(TriggerCycleTest, ConditionFalseExplanationSaysWhy) {
  AddRule(TaggingRule("urgent-only", 1, "x",
                      R"({"all": [{"predicate": {"field": "ticket.tags", "operator": "includes_any",
                                 "value": ["vip"]}},
                  {"predicate": {"field": "ticket.priority", "operator": "is",
                                 "value": "urgent"}}]})"));
  auto r = Run(kEvent, {.tenant = "acme", .explain = true});
  EXPECT_TRUE(r.fired_rules.empty());
  const auto* e = ExplanationOf(r, "urgent-only");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->outcome(), v1::RULE_OUTCOME_CONDITION_FALSE);
  EXPECT_EQ(e->summary(),
            "condition.all[1]: ticket.priority is \"urgent\" is false (actual \"normal\")");
  ASSERT_EQ(e->condition().children_size(), 2);
  EXPECT_TRUE(e->condition().children(0).result());
  EXPECT_FALSE(e->condition().children(1).result());
}

TEST_F(TriggerCycleTest, FiredRuleIsExplainedOnTheTicketItFiredOn) {
  AddRule(R"({"id": "open-new", "name": "n", "position": 1,
              "trigger": {"event_types": ["ticket.updated"]},
              "condition": {"predicate": {"field": "ticket.status", "operator": "is",
                                          "value": "new"}},
              "actions": [{"type": "ticket.patch", "params": {"status": "TICKET_STATUS_OPEN"}}]})");
  AddRule(TaggingRule(
      "needs-pending", 2, "x",
      R"({"predicate": {"field": "ticket.status", "operator": "is", "value": "pending"}})"));
  auto r = Run(kEvent, {.tenant = "acme", .explain = true});
  const auto* fired = ExplanationOf(r, "open-new");
  ASSERT_NE(fired, nullptr);
  EXPECT_EQ(fired->outcome(), v1::RULE_OUTCOME_FIRED);
  EXPECT_TRUE(fired->condition().result());
  EXPECT_EQ(fired->condition().predicate().actual().string_value(), "new");
  // A rule that did not fire is explained on the final ticket.
  const auto* other = ExplanationOf(r, "needs-pending");
  EXPECT_EQ(other->condition().predicate().actual().string_value(), "open");
}

TEST_F(TriggerCycleTest, ActionsRunInOrderAndSeeEarlierPatches) {
  AddRule(R"({"id": "two-steps", "name": "n", "trigger": {"event_types": ["ticket.updated"]},
              "actions": [{"type": "ticket.patch", "params": {"group_id": "tier2"}},
                          {"type": "ticket.patch", "params": {"assignee_id": "agent9"}}]})");
  auto r = Run(kEvent, {.tenant = "acme", .dry_run = true});
  auto calls = catalog_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].tenant, "acme");
  EXPECT_EQ(calls[0].rule_id, "two-steps");
  EXPECT_EQ(calls[0].event_id, "ev1");
  EXPECT_TRUE(calls[0].dry_run);
  EXPECT_EQ(calls[0].action_index, 0);
  EXPECT_EQ(calls[0].ticket.group_id(), "");
  EXPECT_EQ(calls[1].action_index, 1);
  EXPECT_EQ(calls[1].ticket.group_id(), "tier2");
  ASSERT_EQ(r.fired_rules.size(), 1u);
  const auto& actions = r.fired_rules[0].actions();
  ASSERT_EQ(actions.size(), 2);
  EXPECT_EQ(actions[0].status(), v1::ACTION_STATUS_SUCCEEDED);
  EXPECT_EQ(actions[0].type(), "ticket.patch");
  EXPECT_EQ(actions[0].ticket_patch().group_id(), "tier2");
  EXPECT_EQ(actions[1].index(), 1);
  EXPECT_EQ(r.patch.group_id(), "tier2");
  EXPECT_EQ(r.patch.assignee_id(), "agent9");
}

// An earlier run of the event abandoned action 0 of the rule: this run
// does not call it, reports it failed with the given message, and runs the
// rule's next action.
TEST_F(TriggerCycleTest, FailedActionsAreNotCalledAndFailWithTheirMessage) {
  AddRule(R"({"id": "two-steps", "name": "n", "trigger": {"event_types": ["ticket.updated"]},
              "actions": [{"type": "ticket.patch", "params": {"group_id": "tier2"}},
                          {"type": "ticket.patch", "params": {"assignee_id": "agent9"}}]})");
  const std::map<std::pair<std::string, int>, std::string> failed = {
      {{"two-steps", 0}, "timed out after 5 ms; the call was abandoned"}};
  auto r = Run(kEvent, {.tenant = "acme", .failed_actions = &failed});
  auto calls = catalog_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].action_index, 1);
  ASSERT_EQ(r.fired_rules.size(), 1u);
  const auto& actions = r.fired_rules[0].actions();
  ASSERT_EQ(actions.size(), 2);
  EXPECT_EQ(actions[0].status(), v1::ACTION_STATUS_FAILED);
  EXPECT_EQ(actions[0].message(), "timed out after 5 ms; the call was abandoned");
  EXPECT_EQ(actions[1].status(), v1::ACTION_STATUS_SUCCEEDED);
  EXPECT_EQ(r.patch.group_id(), "");
  EXPECT_EQ(r.patch.assignee_id(), "agent9");
}

TEST_F(TriggerCycleTest, DeferredActionsAreQueuedNotRun) {
  AddRule(R"({"id": "notify", "name": "n", "trigger": {"event_types": ["ticket.updated"]},
              "actions": [{"type": "email.send", "params": {"to": "boss@example.com"}},
                          {"type": "ticket.patch", "params": {"add_tags": ["notified"]}}]})");
  auto r = Run(kEvent);
  ASSERT_EQ(r.fired_rules.size(), 1u);
  const auto& actions = r.fired_rules[0].actions();
  ASSERT_EQ(actions.size(), 2);
  EXPECT_EQ(actions[0].status(), v1::ACTION_STATUS_QUEUED);
  EXPECT_EQ(actions[0].type(), "email.send");
  EXPECT_EQ(actions[1].status(), v1::ACTION_STATUS_SUCCEEDED);
  ASSERT_EQ(r.deferred_actions.size(), 1u);
  EXPECT_EQ(r.deferred_actions[0].rule_id, "notify");
  EXPECT_EQ(r.deferred_actions[0].action_index, 0);
  EXPECT_EQ(r.deferred_actions[0].type, "email.send");
  EXPECT_EQ(r.deferred_actions[0].params.fields().at("to").string_value(), "boss@example.com");
  // Only the inline action ran.
  ASSERT_EQ(catalog_.calls().size(), 1u);
  EXPECT_EQ(catalog_.calls()[0].type, "ticket.patch");
}

TEST_F(TriggerCycleTest, FailingInlineActionIsReportedAndItsPatchNotApplied) {
  AddRule(R"({"id": "flaky", "name": "n", "trigger": {"event_types": ["ticket.updated"]},
              "actions": [{"type": "ticket.fail", "params": {"message": "directory unavailable"}},
                          {"type": "ticket.patch", "params": {"add_tags": ["after"]}}]})");
  auto r = Run(kEvent);
  ASSERT_EQ(r.fired_rules.size(), 1u);
  const auto& actions = r.fired_rules[0].actions();
  ASSERT_EQ(actions.size(), 2);
  EXPECT_EQ(actions[0].status(), v1::ACTION_STATUS_FAILED);
  EXPECT_EQ(actions[0].message(), "directory unavailable");
  EXPECT_FALSE(actions[0].has_ticket_patch());
  // Later actions of the rule still run.
  EXPECT_EQ(actions[1].status(), v1::ACTION_STATUS_SUCCEEDED);
  EXPECT_THAT(r.ticket.tags(), ElementsAre("vip", "after"));
  EXPECT_THAT(r.patch.add_tags(), ElementsAre("after"));
}

TEST_F(TriggerCycleTest, ActionOfAnUnknownTypeFailsWithAClearMessage) {
  // Saved while a plugin provided "gone.action"; the plugin has since been
  // removed, so the stored rule reloads with an action of no mode.
  std::string error;
  auto rule = RecompileStoredRule(
      FromJson<v1::Rule>(
          R"({"id": "old", "name": "n", "trigger": {"event_types": ["ticket.updated"]},
          "actions": [{"type": "gone.action"},
                      {"type": "ticket.patch", "params": {"add_tags": ["still"]}}]})"),
      limits_, catalog_, &error);
  ASSERT_NE(rule, nullptr) << error;
  ASSERT_EQ(rule->actions.size(), 2u);
  EXPECT_FALSE(rule->actions[0].mode.has_value());
  rules_.push_back(rule);
  auto r = Run(kEvent);
  ASSERT_EQ(r.fired_rules.size(), 1u);
  const auto& actions = r.fired_rules[0].actions();
  EXPECT_EQ(actions[0].status(), v1::ACTION_STATUS_FAILED);
  EXPECT_EQ(actions[0].message(),
            "unknown action type \"gone.action\": no loaded plugin provides it");
  EXPECT_EQ(actions[1].status(), v1::ACTION_STATUS_SUCCEEDED);
}

TEST_F(TriggerCycleTest, NetPatchIsTheDifferenceFromTheEventTicket) {
  AddRule(R"({"id": "a", "name": "n", "position": 1, "trigger": {"event_types": ["ticket.updated"]},
              "actions": [{"type": "ticket.patch",
                           "params": {"subject": "[VIP] Help", "add_tags": ["temp", "kept"],
                                      "remove_tags": ["vip"],
                                      "custom_fields": {"plan": "gold", "score": 3}}}]})");
  AddRule(R"({"id": "b", "name": "n", "position": 2, "trigger": {"event_types": ["ticket.updated"]},
              "actions": [{"type": "ticket.patch",
                           "params": {"remove_tags": ["temp"], "type": "incident",
                                      "custom_fields": {"score": null, "old": null}}}]})");
  auto r = Run(R"({"id": "e", "type": "ticket.updated",
      "ticket": {"id": "t1", "subject": "Help", "tags": ["vip"],
                 "custom_fields": {"old": true}}})");
  EXPECT_EQ(r.patch.subject(), "[VIP] Help");
  EXPECT_EQ(r.patch.type(), "incident");
  EXPECT_FALSE(r.patch.has_status());
  EXPECT_FALSE(r.patch.has_assignee_id());
  EXPECT_THAT(r.patch.add_tags(), ElementsAre("kept"));
  EXPECT_THAT(r.patch.remove_tags(), ElementsAre("vip"));
  ASSERT_EQ(r.patch.custom_fields_size(), 2);
  EXPECT_EQ(r.patch.custom_fields().at("plan").string_value(), "gold");
  EXPECT_EQ(r.patch.custom_fields().at("old").kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_FALSE(r.patch.custom_fields().contains("score"));
}

TEST_F(TriggerCycleTest, TimeRelativeFieldsUseOccurredAtUnlessOverridden) {
  AddRule(TaggingRule(
      "stale", 1, "stale",
      R"({"predicate": {"field": "ticket.hours_since_created", "operator": "greater_than",
                        "value": 48}})"));
  // occurred_at is 24 hours after creation.
  EXPECT_TRUE(Run(kEvent).fired_rules.empty());
  CycleOptions later{.tenant = "acme"};
  later.now_micros = *ParseTimestampMicros("2026-03-04T10:00:01Z");
  EXPECT_THAT(FiredIds(Run(kEvent, later)), ElementsAre("stale"));
}

TEST_F(TriggerCycleTest, PreviousTicketFeedsChangeOperators) {
  AddRule(TaggingRule("reopened", 1, "reopened",
                      R"({"predicate": {"field": "ticket.status", "operator": "changed_from",
                        "value": "solved"}})"));
  EXPECT_THAT(FiredIds(Run(R"({"id": "e", "type": "ticket.updated",
      "ticket": {"id": "t1", "status": "TICKET_STATUS_OPEN"},
      "previous": {"id": "t1", "status": "TICKET_STATUS_SOLVED"}})")),
              ElementsAre("reopened"));
  EXPECT_TRUE(Run(R"({"id": "e", "type": "ticket.updated",
      "ticket": {"id": "t1", "status": "TICKET_STATUS_OPEN"}})")
                  .fired_rules.empty());
}

}  // namespace
}  // namespace triggerfish::server::engine
