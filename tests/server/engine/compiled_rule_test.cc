// Save-time validation of whole rules: every violation with the exact path a
// client sees in google.rpc.BadRequest.

#include "server/engine/compiled_rule.h"

#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/engine/condition_harness.h"
#include "tests/server/engine/test_action_catalog.h"
#include "tests/server/testing/proto_json.h"

namespace triggerfish::server::engine {
namespace {

using ::testing::ElementsAre;
using testing::TestActionCatalog;
using testing::Violation;
using triggerfish::testing::FromJson;

constexpr char kValidRule[] = R"({"id": "vip-1", "name": "VIP tickets",
    "trigger": {"event_types": ["ticket.created"]},
    "condition": {"predicate": {"field": "ticket.tags", "operator": "includes_any",
                                "value": ["vip"]}},
    "actions": [{"type": "ticket.patch", "params": {"priority": "TICKET_PRIORITY_HIGH"}}]})";

class CompiledRuleTest : public ::testing::Test {
 protected:
  std::vector<FieldViolation> Errors(const v1::Rule& rule) {
    Violations violations;
    auto compiled = CompileRule(rule, "rule.", limits_, catalog_, &violations);
    EXPECT_EQ(compiled, nullptr) << "compiled but should not have";
    return violations.items();
  }
  std::vector<FieldViolation> Errors(const std::string& json) {
    return Errors(FromJson<v1::Rule>(json));
  }
  v1::Rule Valid() { return FromJson<v1::Rule>(kValidRule); }

  RuleLimits limits_;
  TestActionCatalog catalog_;
};

TEST_F(CompiledRuleTest, ValidRuleCompiles) {
  Violations violations;
  auto rule = CompileRule(Valid(), "rule.", limits_, catalog_, &violations);
  ASSERT_NE(rule, nullptr);
  EXPECT_TRUE(violations.empty());
  EXPECT_EQ(rule->id(), "vip-1");
  EXPECT_TRUE(rule->enabled());  // defaults to true
  EXPECT_TRUE(rule->ListensTo("ticket.created"));
  EXPECT_FALSE(rule->ListensTo("ticket.updated"));
  ASSERT_TRUE(rule->condition.has_value());
  ASSERT_EQ(rule->actions.size(), 1u);
  EXPECT_EQ(rule->actions[0].mode, ActionMode::kInline);
}

TEST_F(CompiledRuleTest, RuleWithoutOrWithEmptyConditionAlwaysHolds) {
  for (const char* json :
       {R"({"name": "n", "trigger": {"event_types": ["ticket.created"]}})",
        R"({"name": "n", "trigger": {"event_types": ["ticket.created"]}, "condition": {}})"}) {
    Violations violations;
    auto rule = CompileRule(FromJson<v1::Rule>(json), "rule.", limits_, catalog_, &violations);
    ASSERT_NE(rule, nullptr) << json;
    EXPECT_FALSE(rule->condition.has_value());
  }
}

TEST_F(CompiledRuleTest, DisabledRule) {
  v1::Rule r = Valid();
  r.set_enabled(false);
  Violations violations;
  auto rule = CompileRule(r, "rule.", limits_, catalog_, &violations);
  ASSERT_NE(rule, nullptr);
  EXPECT_FALSE(rule->enabled());
}

TEST_F(CompiledRuleTest, NameIsRequiredAndBounded) {
  v1::Rule r = Valid();
  r.clear_name();
  EXPECT_THAT(Errors(r), ElementsAre(Violation("rule.name", "required")));
  r.set_name(std::string(201, 'n'));
  EXPECT_THAT(Errors(r), ElementsAre(Violation("rule.name", "longer than 200")));
  r.set_name("ok");
  r.set_description(std::string(2001, 'd'));
  EXPECT_THAT(Errors(r), ElementsAre(Violation("rule.description", "longer than 2000")));
}

TEST_F(CompiledRuleTest, RuleIds) {
  for (const char* id : {"a", "0-rule", "vip_tickets-2",
                         "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123"}) {
    SCOPED_TRACE(id);
    EXPECT_TRUE(IsValidRuleId(id));
  }
  for (const char* id : {"-rule", "_rule", "Rule", "rule one", "rule.one", "règle",
                         "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234"}) {
    SCOPED_TRACE(id);
    EXPECT_FALSE(IsValidRuleId(id));
    v1::Rule r = Valid();
    r.set_id(id);
    EXPECT_THAT(Errors(r), ElementsAre(Violation("rule.id", "[a-z0-9_-]")));
  }
}

TEST_F(CompiledRuleTest, EventTypes) {
  for (const char* type : {"ticket.created", "sla.warning", "acme.order_shipped.v2"}) {
    EXPECT_TRUE(IsValidEventType(type)) << type;
  }
  for (const char* type : {"ticket", "Ticket.created", "ticket.", ".ticket", "ticket..created",
                           "ticket.2nd", "ticket created", "ticket-created.x"}) {
    EXPECT_FALSE(IsValidEventType(type)) << type;
  }
  EXPECT_FALSE(IsValidEventType("a." + std::string(127, 'b')));
}

TEST_F(CompiledRuleTest, EventTypeViolationsNameTheEntry) {
  EXPECT_THAT(Errors(R"({"name": "n", "trigger": {"event_types": []}})"),
              ElementsAre(Violation("rule.trigger.event_types", "at least one event type")));
  EXPECT_THAT(Errors(R"({"name": "n"})"),
              ElementsAre(Violation("rule.trigger.event_types", "at least one event type")));
  EXPECT_THAT(Errors(R"({"name": "n", "trigger": {"event_types":
                  ["ticket.created", "Ticket.Updated", "ticket.created"]}})"),
              ElementsAre(Violation("rule.trigger.event_types[1]",
                                    "\"Ticket.Updated\" is not a lower-case dotted event type"),
                          Violation("rule.trigger.event_types[2]",
                                    "duplicate event type \"ticket.created\"")));
  limits_.max_event_types = 2;
  EXPECT_THAT(
      Errors(R"({"name": "n", "trigger": {"event_types": ["a.a", "b.b", "c.c"]}})"),
      ElementsAre(Violation("rule.trigger.event_types", "has 3 event types; the limit is 2")));
}

TEST_F(CompiledRuleTest, ActionViolations) {
  EXPECT_THAT(
      Errors(R"({"name": "n", "trigger": {"event_types": ["ticket.created"]},
                 "actions": [{"type": "ticket.patch", "params": {"priority": "TICKET_PRIORITY_HIGH"}},
                             {"type": ""},
                             {"type": "patch"},
                             {"type": "Ticket.Patch"},
                             {"type": "nosuch.action"},
                             {"type": "email.send", "params": {"subject": "hi"}},
                             {"type": "ticket.patch", "params": {"color": "red"}}]})"),
      ElementsAre(
          Violation("rule.actions[1].type", "required"),
          Violation("rule.actions[2].type", "\"patch\" is not of the form <plugin>.<action>"),
          Violation("rule.actions[3].type", "not of the form <plugin>.<action>"),
          Violation("rule.actions[4].type", "unknown action type \"nosuch.action\""),
          Violation("rule.actions[5].params.to", "required: the recipient address"),
          Violation("rule.actions[6].params", "not a ticket patch")));
}

TEST_F(CompiledRuleTest, TooManyActionsAreRejected) {
  limits_.max_actions = 2;
  v1::Rule r = Valid();
  *r.add_actions() = r.actions(0);
  Violations ok;
  EXPECT_NE(CompileRule(r, "rule.", limits_, catalog_, &ok), nullptr);
  *r.add_actions() = r.actions(0);
  EXPECT_THAT(Errors(r), ElementsAre(Violation("rule.actions", "has 3 actions; the limit is 2")));
}

TEST_F(CompiledRuleTest, NonFiniteNumbersInActionParamsAreRejected) {
  v1::Rule r = Valid();
  auto& params = *r.mutable_actions(0)->mutable_params()->mutable_fields();
  params["ratio"].set_number_value(std::numeric_limits<double>::infinity());
  params["list"].mutable_list_value()->add_values()->set_number_value(
      std::numeric_limits<double>::quiet_NaN());
  EXPECT_THAT(Errors(r),
              ::testing::IsSupersetOf(
                  {Violation("rule.actions[0].params.ratio", "number must be finite"),
                   Violation("rule.actions[0].params.list[0]", "number must be finite")}));
}

TEST_F(CompiledRuleTest, ConditionViolationsUseThePrefix) {
  Violations violations;
  v1::Rule r = Valid();
  r.mutable_condition()->mutable_predicate()->set_operator_("is");
  auto rule = CompileRule(r, "rules[2].", limits_, catalog_, &violations);
  EXPECT_EQ(rule, nullptr);
  EXPECT_THAT(violations.items(),
              ElementsAre(Violation("rules[2].condition.predicate.operator",
                                    "use includes_any, includes_all or includes_none")));
}

TEST_F(CompiledRuleTest, EveryProblemIsReportedAtOnce) {
  EXPECT_THAT(
      Errors(R"({"id": "Bad Id", "trigger": {"event_types": ["nope"]},
                 "condition": {"predicate": {"field": "ticket.stauts", "operator": "is",
                                             "value": "open"}},
                 "actions": [{"type": "nosuch.action"}]})"),
      ElementsAre(Violation("rule.id", ""), Violation("rule.name", "required"),
                  Violation("rule.trigger.event_types[0]", "\"nope\""),
                  Violation("rule.condition.predicate.field", "did you mean \"ticket.status\"?"),
                  Violation("rule.actions[0].type", "unknown action type")));
}

TEST_F(CompiledRuleTest, OversizedRuleIsRejected) {
  limits_.max_rule_bytes = 200;
  v1::Rule r = Valid();
  r.set_description(std::string(300, 'x'));
  EXPECT_THAT(Errors(r), ElementsAre(Violation("rule", "the limit is 200")));
}

TEST_F(CompiledRuleTest, StoredRuleWithARemovedActionTypeStillLoads) {
  v1::Rule r = Valid();
  r.mutable_actions(0)->set_type("removed.plugin_action");
  std::string error;
  auto rule = RecompileStoredRule(r, limits_, catalog_, &error);
  ASSERT_NE(rule, nullptr) << error;
  EXPECT_FALSE(rule->actions[0].mode.has_value());
  // The same rule is refused when saved.
  EXPECT_THAT(Errors(r), ElementsAre(Violation("rule.actions[0].type", "unknown action type")));
}

TEST_F(CompiledRuleTest, StoredRuleThatNoLongerCompilesSaysWhy) {
  v1::Rule r = Valid();
  r.mutable_condition()->mutable_predicate()->set_field("ticket.gone");
  std::string error;
  EXPECT_EQ(RecompileStoredRule(r, limits_, catalog_, &error), nullptr);
  EXPECT_THAT(error,
              ::testing::StartsWith("condition.predicate.field: unknown field \"ticket.gone\""));
}

}  // namespace
}  // namespace triggerfish::server::engine
