// Save-time validation of conditions (every violation with its exact path and
// a description that helps the user fix it) and explanations of why a
// condition held or not.

#include "server/engine/condition.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/engine/condition_harness.h"
#include "tests/server/testing/proto_json.h"

namespace triggerfish::server::engine {
namespace {

using testing::ConditionHarness;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Pred;
using testing::PredIgnoreCase;
using testing::TicketEvent;
using testing::Violation;
using triggerfish::testing::FromJson;

class ConditionTest : public ::testing::Test {
 protected:
  ConditionHarness h_;
};

TEST_F(ConditionTest, PriorityIsComparesByName) {
  const std::string high = R"({"ticket": {"id": "1", "priority": "TICKET_PRIORITY_HIGH"}})";
  EXPECT_TRUE(h_.Holds(Pred("ticket.priority", "is", R"("high")"), high));
  EXPECT_FALSE(h_.Holds(Pred("ticket.priority", "is", R"("low")"), high));
}

TEST_F(ConditionTest, UnknownOperatorIsReportedWithPath) {
  auto errors = h_.Errors(
      R"({"all": [{"predicate": {"field": "ticket.status", "operator": "is", "value": "open"}},
                  {"predicate": {"field": "ticket.status", "operator": "iss", "value": "open"}}]})");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "rule.condition.all[1].predicate.operator");
  EXPECT_THAT(errors[0].description, HasSubstr("unknown operator \"iss\""));
  EXPECT_THAT(errors[0].description, HasSubstr("changed_from"));  // lists the valid ones
}

// ------------------------------------------------------- operator / field type

// One field of each static type.
struct FieldCase {
  const char* field;
  const char* type_name;
  // A valid scalar value for the field, as JSON.
  const char* scalar;
  std::vector<std::string> allowed;
};

const std::vector<std::string> kAllOps = {"is",           "is_not",
                                          "less_than",    "less_than_or_equal",
                                          "greater_than", "greater_than_or_equal",
                                          "contains",     "not_contains",
                                          "starts_with",  "ends_with",
                                          "matches",      "in",
                                          "not_in",       "includes_any",
                                          "includes_all", "includes_none",
                                          "present",      "absent",
                                          "changed",      "changed_from",
                                          "changed_to",   "not_changed"};

std::vector<FieldCase> FieldCases() {
  const std::vector<std::string> changes = {"changed", "changed_from", "changed_to", "not_changed"};
  auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  const std::vector<std::string> scalar = {"is", "is_not", "in", "not_in", "present", "absent"};
  const std::vector<std::string> ordering = {"less_than", "less_than_or_equal", "greater_than",
                                             "greater_than_or_equal"};
  const std::vector<std::string> text = {"contains", "not_contains", "starts_with", "ends_with",
                                         "matches"};
  return {
      {"ticket.subject", "text", R"("x")", with(with(scalar, text), changes)},
      {"comment.body", "text", R"("x")", with(scalar, text)},
      {"comment.public", "bool", "true", scalar},
      {"ticket.hours_since_created", "number", "1", with(scalar, ordering)},
      {"ticket.created_at", "timestamp", R"("2026-01-01T00:00:00Z")",
       with(with(scalar, ordering), changes)},
      {"ticket.status", "status", R"("open")", with(with(scalar, ordering), changes)},
      {"ticket.priority", "priority", R"("high")", with(with(scalar, ordering), changes)},
      {"ticket.tags",
       "list",
       R"("x")",
       {"includes_any", "includes_all", "includes_none", "present", "absent", "changed",
        "not_changed"}},
      {"ticket.custom_fields.plan", "custom field", R"("x")", kAllOps},
  };
}

std::string ValueFor(const FieldCase& f, const std::string& op) {
  if (op == "present" || op == "absent" || op == "changed" || op == "not_changed") return "";
  if (op == "in" || op == "not_in") return std::string("[") + f.scalar + "]";
  if (op.starts_with("includes_")) return R"(["x"])";
  if (op == "matches" || op == "contains" || op == "not_contains" || op == "starts_with" ||
      op == "ends_with") {
    return R"("x")";
  }
  if (std::string(f.field) == "ticket.custom_fields.plan" &&
      (op.starts_with("less") || op.starts_with("greater"))) {
    return "1";
  }
  return f.scalar;
}

TEST_F(ConditionTest, EveryOperatorIsAcceptedOrRejectedByFieldType) {
  for (const FieldCase& f : FieldCases()) {
    for (const std::string& op : kAllOps) {
      SCOPED_TRACE(std::string(f.field) + " " + op);
      const std::string condition = Pred(f.field, op, ValueFor(f, op));
      const bool allowed = std::find(f.allowed.begin(), f.allowed.end(), op) != f.allowed.end();
      if (allowed) {
        EXPECT_TRUE(h_.CompileOk(condition).has_value());
        continue;
      }
      auto errors = h_.Errors(condition);
      ASSERT_EQ(errors.size(), 1u);
      EXPECT_EQ(errors[0].field, "rule.condition.predicate.operator");
      EXPECT_THAT(errors[0].description, HasSubstr("operator \"" + op + "\" does not apply to " +
                                                   f.field + " (" + f.type_name + ")"));
    }
  }
}

TEST_F(ConditionTest, RejectionsSayWhatToUseInstead) {
  EXPECT_THAT(h_.Errors(Pred("ticket.tags", "is", R"("vip")")),
              ElementsAre(Violation("rule.condition.predicate.operator",
                                    "use includes_any, includes_all or includes_none")));
  EXPECT_THAT(h_.Errors(Pred("ticket.tags", "changed_to", R"("vip")")),
              ElementsAre(Violation("rule.condition.predicate.operator",
                                    "use changed, or includes_* on the tags")));
  EXPECT_THAT(h_.Errors(Pred("comment.body", "changed")),
              ElementsAre(Violation("rule.condition.predicate.operator",
                                    "changes are tracked for ticket fields only")));
  EXPECT_THAT(h_.Errors(Pred("ticket.hours_since_updated", "not_changed")),
              ElementsAre(Violation("rule.condition.predicate.operator", "computed")));
  EXPECT_THAT(
      h_.Errors(Pred("ticket.subject", "less_than", R"("m")")),
      ElementsAre(Violation("rule.condition.predicate.operator",
                            "ordering applies to numbers, timestamps, status and priority")));
}

// ------------------------------------------------------- values

TEST_F(ConditionTest, WrongValueTypesAreRejectedAtTheValuePath) {
  struct Case {
    std::string condition;
    std::string path;
    std::string description;
  };
  const std::string v = "rule.condition.predicate.value";
  for (const Case& c : std::vector<Case>{
           {Pred("ticket.subject", "is", "5"), v, "must be a string, got a number"},
           {Pred("comment.public", "is", R"("true")"), v, "must be a bool, got a string"},
           {Pred("ticket.hours_since_created", "greater_than", R"("24")"), v,
            "must be a number, got a string"},
           {Pred("ticket.created_at", "less_than", "1700000000"), v,
            "must be an RFC 3339 timestamp string, got a number"},
           {Pred("ticket.created_at", "less_than", R"("yesterday")"), v,
            "\"yesterday\" is not an RFC 3339 timestamp (e.g. 2026-01-31T09:00:00Z)"},
           {Pred("ticket.status", "is", R"("opened")"), v,
            "unknown status \"opened\"; one of new, open, pending, on_hold, solved, closed"},
           {Pred("ticket.status", "is", "2"), v, "must be a string (one of new, open"},
           {Pred("ticket.priority", "is", R"("critical")"), v,
            "unknown priority \"critical\"; one of low, normal, high, urgent"},
           {Pred("ticket.priority", "is", R"("unspecified")"), v, "unknown priority"},
           {Pred("ticket.channel", "in", R"("email")"), v,
            "must be a list for operator \"in\", got a string"},
           {Pred("ticket.tags", "includes_any", R"("vip")"), v,
            "must be a list for operator \"includes_any\", got a string"},
           {Pred("ticket.tags", "includes_all", R"(["vip", 3])"), v + "[1]",
            "must be a string, got a number"},
           {Pred("ticket.channel", "in", R"(["web", 3])"), v + "[1]",
            "must be a string, got a number"},
           {Pred("ticket.status", "not_in", R"(["open", "shut"])"), v + "[1]",
            "unknown status \"shut\""},
           {Pred("ticket.subject", "present", R"("x")"), v,
            "must be omitted for operator \"present\""},
           {Pred("ticket.status", "changed", R"("open")"), v,
            "must be omitted for operator \"changed\""},
           {Pred("ticket.status", "is"), v, "required for operator \"is\""},
           {Pred("ticket.status", "changed_to"), v, "required for operator \"changed_to\""},
           {Pred("ticket.subject", "contains", R"("")"), v, "must be a non-empty string"},
           {Pred("ticket.subject", "starts_with", "1"), v,
            "must be a non-empty string, got a number"},
           {Pred("ticket.subject", "matches", "1"), v,
            "must be a non-empty regular expression string, got a number"},
           {Pred("ticket.custom_fields.plan", "is", R"(["gold"])"), v,
            "must be a string, number or bool, got a list"},
           {Pred("ticket.custom_fields.plan", "is", R"({"a": 1})"), v,
            "must be a string, number or bool, got an object"},
           {Pred("ticket.custom_fields.seats", "less_than", R"("ten")"), v,
            "must be a number or an RFC 3339 timestamp for ordering a custom field"},
           {Pred("ticket.custom_fields.seats", "less_than", "true"), v,
            "must be a number or an RFC 3339 timestamp, got a bool"},
           {Pred("ticket.custom_fields.plan", "includes_any", R"([true])"), v + "[0]",
            "must be a string, got a bool"},
       }) {
    SCOPED_TRACE(c.condition);
    EXPECT_THAT(h_.Errors(c.condition), ElementsAre(Violation(c.path, c.description)));
  }
}

TEST_F(ConditionTest, EmptyStringForACoreTextFieldPointsToAbsent) {
  EXPECT_THAT(h_.Errors(Pred("ticket.assignee_id", "is", R"("")")),
              ElementsAre(Violation("rule.condition.predicate.value", "use the absent operator")));
  EXPECT_THAT(
      h_.Errors(Pred("ticket.group_id", "in", R"(["a", ""])")),
      ElementsAre(Violation("rule.condition.predicate.value[1]", "use the absent operator")));
}

TEST_F(ConditionTest, NonFiniteNumbersAreRejected) {
  for (const char* field : {"ticket.hours_since_created", "ticket.custom_fields.score"}) {
    SCOPED_TRACE(field);
    v1::Condition c;
    c.mutable_predicate()->set_field(field);
    c.mutable_predicate()->set_operator_("is");
    c.mutable_predicate()->mutable_value()->set_number_value(
        std::numeric_limits<double>::quiet_NaN());
    EXPECT_THAT(h_.Errors(c), ElementsAre(Violation("rule.condition.predicate.value",
                                                    "must be a finite number")));
  }
}

TEST_F(ConditionTest, OverLongValuesAndListsAreRejected) {
  h_.limits.max_value_length = 10;
  h_.limits.max_list_values = 3;
  EXPECT_THAT(h_.Errors(Pred("ticket.subject", "contains", R"("01234567890")")),
              ElementsAre(Violation("rule.condition.predicate.value",
                                    "string is 11 bytes; the limit is 10")));
  EXPECT_THAT(h_.Errors(Pred("ticket.channel", "in", R"(["a", "01234567890"])")),
              ElementsAre(Violation("rule.condition.predicate.value[1]", "limit is 10")));
  EXPECT_THAT(h_.Errors(Pred("ticket.channel", "in", R"(["a", "b", "c", "d"])")),
              ElementsAre(Violation("rule.condition.predicate.value",
                                    "list has 4 values; the limit is 3")));
  EXPECT_TRUE(h_.CompileOk(Pred("ticket.channel", "in", R"(["a", "b", "0123456789"])")));
}

TEST_F(ConditionTest, InvalidAndOverLongRegexesAreRejected) {
  EXPECT_THAT(h_.Errors(Pred("ticket.subject", "matches", R"("(unclosed")")),
              ElementsAre(Violation("rule.condition.predicate.value",
                                    "invalid regular expression: missing )")));
  // Backreferences need backtracking; RE2 refuses them.
  EXPECT_THAT(
      h_.Errors(Pred("ticket.subject", "matches", R"("(a)\\1")")),
      ElementsAre(Violation("rule.condition.predicate.value", "invalid regular expression")));
  EXPECT_THAT(h_.Errors(Pred("ticket.subject", "matches", R"("")")),
              ElementsAre(Violation("rule.condition.predicate.value", "non-empty")));
  h_.limits.max_regex_length = 8;
  EXPECT_THAT(h_.Errors(Pred("ticket.subject", "matches", R"("abcdefghi")")),
              ElementsAre(Violation("rule.condition.predicate.value",
                                    "regular expression is 9 bytes; the limit is 8")));
}

TEST_F(ConditionTest, RegexNeedingTooMuchMemoryIsRejected) {
  // Within the default 1 MiB: accepted. A thousand Unicode letter classes: not.
  EXPECT_TRUE(h_.CompileOk(Pred("ticket.subject", "matches", R"("\\w{1000}")")));
  EXPECT_THAT(h_.Errors(Pred("ticket.subject", "matches", R"("(\\pL{50}){20}")")),
              ElementsAre(Violation("rule.condition.predicate.value",
                                    "invalid regular expression: pattern too large")));
}

// ------------------------------------------------------- fields

TEST_F(ConditionTest, UnknownFieldSuggestsTheClosestOne) {
  EXPECT_THAT(h_.Errors(Pred("ticket.priorty", "is", R"("high")")),
              ElementsAre(Violation("rule.condition.predicate.field",
                                    "unknown field \"ticket.priorty\"; did you mean "
                                    "\"ticket.priority\"?")));
  EXPECT_THAT(h_.Errors(Pred("ticket.requester.mail", "is", R"("a")")),
              ElementsAre(Violation("rule.condition.predicate.field",
                                    "did you mean \"ticket.requester.email\"?")));
  EXPECT_THAT(h_.Errors(Pred("ticket.custom_field.plan", "is", R"("a")")),
              ElementsAre(Violation("rule.condition.predicate.field",
                                    "did you mean \"ticket.custom_fields.<name>\"?")));
  // Nothing close: no suggestion.
  auto errors = h_.Errors(Pred("organization.plan", "is", R"("a")"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].description, "unknown field \"organization.plan\"");
}

TEST_F(ConditionTest, CustomFieldNamesAreValidated) {
  EXPECT_TRUE(h_.CompileOk(Pred("ticket.custom_fields.Plan_2-b", "present")));
  for (const char* field :
       {"ticket.custom_fields.", "ticket.custom_fields.a.b", "ticket.custom_fields.a b"}) {
    SCOPED_TRACE(field);
    EXPECT_THAT(h_.Errors(Pred(field, "present")),
                ElementsAre(Violation("rule.condition.predicate.field", "unknown field")));
  }
}

TEST_F(ConditionTest, MissingFieldAndOperatorAreBothReported) {
  EXPECT_THAT(h_.Errors(R"({"predicate": {"value": "x"}})"),
              ElementsAre(Violation("rule.condition.predicate.field", "required"),
                          Violation("rule.condition.predicate.operator", "required; one of is")));
}

// ------------------------------------------------------- tree shape and limits

TEST_F(ConditionTest, EveryBadNodeIsReportedWithItsPath) {
  auto errors = h_.Errors(R"({"all": [
      {"predicate": {"field": "ticket.status", "operator": "is", "value": "open"}},
      {"any": [{"predicate": {"field": "ticket.tags", "operator": "is", "value": "a"}},
               {"not": {"predicate": {"field": "ticket.nope", "operator": "present"}}}]},
      {},
      {"predicate": {"field": "ticket.status", "operator": "is", "value": "opn"}}]})");
  EXPECT_THAT(
      errors,
      ElementsAre(Violation("rule.condition.all[1].any[0].predicate.operator", "tags"),
                  Violation("rule.condition.all[1].any[1].not.predicate.field",
                            "unknown field \"ticket.nope\""),
                  Violation("rule.condition.all[2]", "empty condition"),
                  Violation("rule.condition.all[3].predicate.value", "unknown status \"opn\"")));
}

TEST_F(ConditionTest, NodeWithTwoMembersIsRejected) {
  EXPECT_THAT(
      h_.Errors(R"({"all": [{"predicate": {"field": "ticket.subject", "operator": "present"},
                             "not": {"predicate": {"field": "ticket.subject", "operator": "absent"}}}]})"),
      ElementsAre(
          Violation("rule.condition.all[0]", "set exactly one of all, any, not, predicate")));
}

v1::Condition Nested(int depth) {
  v1::Condition root;
  v1::Condition* node = &root;
  for (int i = 1; i < depth; ++i) node = node->mutable_not_();
  node->mutable_predicate()->set_field("ticket.subject");
  node->mutable_predicate()->set_operator_("present");
  return root;
}

TEST_F(ConditionTest, DepthLimitIsEnforcedAtTheTooDeepNode) {
  EXPECT_TRUE(h_.CompileOk(triggerfish::testing::ToJson(Nested(32))));
  std::string path = "rule.condition";
  for (int i = 1; i < 33; ++i) path += ".not";
  EXPECT_THAT(h_.Errors(Nested(33)),
              ElementsAre(Violation(path, "nested deeper than the limit of 32 levels")));
}

TEST_F(ConditionTest, PredicateLimitIsReportedOnceAtTheFirstExcessPredicate) {
  h_.limits.max_predicates = 3;
  v1::Condition c;
  for (int i = 0; i < 5; ++i) {
    auto* p = c.add_all()->mutable_predicate();
    p->set_field("ticket.subject");
    p->set_operator_("present");
  }
  EXPECT_THAT(h_.Errors(c), ElementsAre(Violation("rule.condition.all[3]",
                                                  "more than the limit of 3 predicates")));
  c.mutable_all()->RemoveLast();
  c.mutable_all()->RemoveLast();
  EXPECT_TRUE(h_.CompileOk(triggerfish::testing::ToJson(c)));
}

// ------------------------------------------------------- explain

TEST_F(ConditionTest, ExplainEvaluatesEveryChildOfAFailingAll) {
  const std::string condition = R"({"all": [
      {"predicate": {"field": "ticket.status", "operator": "is", "value": "open"}},
      {"predicate": {"field": "ticket.priority", "operator": "is", "value": "high"}},
      {"predicate": {"field": "ticket.custom_fields.plan", "operator": "is", "value": "gold"}},
      {"predicate": {"field": "ticket.custom_fields.seats", "operator": "greater_than",
                     "value": 10}}]})";
  const std::string event = TicketEvent(
      R"("status": "TICKET_STATUS_NEW", "priority": "TICKET_PRIORITY_HIGH",
         "custom_fields": {"seats": "many"})");
  auto e = h_.ExplainOn(condition, event);
  EXPECT_FALSE(e.result());
  EXPECT_EQ(e.kind(), "all");
  EXPECT_EQ(e.path(), "condition");
  ASSERT_EQ(e.children_size(), 4);

  const auto& status = e.children(0);
  EXPECT_EQ(status.path(), "condition.all[0]");
  EXPECT_EQ(status.kind(), "predicate");
  EXPECT_FALSE(status.result());
  EXPECT_EQ(status.predicate().field(), "ticket.status");
  EXPECT_EQ(status.predicate().operator_(), "is");
  EXPECT_EQ(status.predicate().actual().string_value(), "new");
  EXPECT_EQ(status.predicate().expected().string_value(), "open");
  EXPECT_EQ(status.predicate().note(), "");

  // Evaluated even though an earlier child already failed.
  EXPECT_TRUE(e.children(1).result());
  EXPECT_TRUE(e.children(1).predicate().result());
  EXPECT_EQ(e.children(1).predicate().actual().string_value(), "high");

  const auto& plan = e.children(2).predicate();
  EXPECT_FALSE(plan.result());
  EXPECT_FALSE(plan.has_actual());
  EXPECT_EQ(plan.expected().string_value(), "gold");
  EXPECT_EQ(plan.note(), "field is absent");

  const auto& seats = e.children(3).predicate();
  EXPECT_FALSE(seats.result());
  EXPECT_EQ(seats.actual().string_value(), "many");
  EXPECT_EQ(seats.expected().number_value(), 10);
  EXPECT_EQ(seats.note(), "field holds a string, the rule expects a number");
}

TEST_F(ConditionTest, ExplainNestedAnyAndNot) {
  auto e = h_.ExplainOn(
      R"({"any": [{"not": {"predicate": {"field": "ticket.tags", "operator": "includes_any",
                                        "value": ["vip"]}}},
                  {"predicate": {"field": "ticket.channel", "operator": "is", "value": "chat"}}]})",
      TicketEvent(R"("tags": ["vip"], "channel": "chat")"));
  EXPECT_TRUE(e.result());
  ASSERT_EQ(e.children_size(), 2);
  EXPECT_EQ(e.children(0).kind(), "not");
  EXPECT_EQ(e.children(0).path(), "condition.any[0]");
  EXPECT_FALSE(e.children(0).result());
  ASSERT_EQ(e.children(0).children_size(), 1);
  EXPECT_EQ(e.children(0).children(0).path(), "condition.any[0].not");
  EXPECT_TRUE(e.children(0).children(0).result());
  EXPECT_EQ(e.children(0).children(0).predicate().actual().list_value().values(0).string_value(),
            "vip");
  EXPECT_TRUE(e.children(1).result());
}

TEST_F(ConditionTest, SummaryNamesTheDecidingPredicate) {
  auto e = h_.ExplainOn(
      R"({"all": [{"predicate": {"field": "ticket.priority", "operator": "greater_than_or_equal",
                                 "value": "normal"}},
                  {"all": [{"predicate": {"field": "ticket.channel", "operator": "is",
                                          "value": "email"}},
                           {"predicate": {"field": "ticket.status", "operator": "in",
                                          "value": ["open", "pending"]}}]}]})",
      TicketEvent(R"("priority": "TICKET_PRIORITY_HIGH", "channel": "email",
                     "status": "TICKET_STATUS_SOLVED")"));
  EXPECT_EQ(SummarizeFailure(e),
            "condition.all[1].all[1]: ticket.status in [\"open\", \"pending\"] is false (actual "
            "\"solved\")");
}

TEST_F(ConditionTest, SummaryOfAnAbsentFieldSaysSo) {
  auto e = h_.ExplainOn(Pred("ticket.custom_fields.plan", "is", R"("gold")"), TicketEvent());
  EXPECT_EQ(SummarizeFailure(e),
            "condition: ticket.custom_fields.plan is \"gold\" is false (actual absent): field is "
            "absent");
}

TEST_F(ConditionTest, SummaryOfAChangeShowsThePreviousValue) {
  auto e = h_.ExplainOn(Pred("ticket.status", "changed_to", R"("solved")"),
                        testing::ChangeEvent(R"("status": "TICKET_STATUS_NEW")",
                                             R"("status": "TICKET_STATUS_OPEN")"));
  EXPECT_EQ(SummarizeFailure(e),
            "condition: ticket.status changed_to \"solved\" is false (actual \"open\", previous "
            "\"new\")");
}

TEST_F(ConditionTest, ExplanationAndSummarySayWhenCaseIsIgnored) {
  auto e = h_.ExplainOn(
      R"({"all": [{"predicate": {"field": "ticket.subject", "operator": "contains",
                                 "value": "REFUND", "ignore_case": true}},
                  {"predicate": {"field": "ticket.subject", "operator": "contains",
                                 "value": "REFUND"}},
                  {"predicate": {"field": "ticket.tags", "operator": "includes_any",
                                 "value": ["VIP"], "ignore_case": true}}]})",
      TicketEvent(R"("subject": "Refund please", "tags": ["vip"])"));
  ASSERT_EQ(e.children_size(), 3);
  EXPECT_TRUE(e.children(0).predicate().ignore_case());
  EXPECT_TRUE(e.children(0).predicate().result());
  EXPECT_EQ(e.children(0).predicate().actual().string_value(), "Refund please");
  EXPECT_FALSE(e.children(1).predicate().ignore_case());
  EXPECT_FALSE(e.children(1).predicate().result());
  EXPECT_TRUE(e.children(2).predicate().ignore_case());
  EXPECT_TRUE(e.children(2).predicate().result());
  EXPECT_EQ(SummarizeFailure(e),
            "condition.all[1]: ticket.subject contains \"REFUND\" is false (actual \"Refund "
            "please\")");

  auto folded = h_.ExplainOn(Pred("ticket.subject", "starts_with", R"("PRINTER")", true),
                             TicketEvent(R"("subject": "Refund please")"));
  EXPECT_EQ(SummarizeFailure(folded),
            "condition: ticket.subject starts_with (ignoring case) \"PRINTER\" is false (actual "
            "\"Refund please\")");
}

TEST_F(ConditionTest, SummaryOfAnyAndNot) {
  auto any = h_.ExplainOn(
      R"({"any": [{"predicate": {"field": "ticket.channel", "operator": "is", "value": "web"}},
                  {"predicate": {"field": "ticket.channel", "operator": "is", "value": "chat"}}]})",
      TicketEvent(R"("channel": "email")"));
  EXPECT_EQ(SummarizeFailure(any), "condition: none of the alternatives held");
  auto negated = h_.ExplainOn(
      R"({"all": [{"not": {"predicate": {"field": "ticket.channel", "operator": "present"}}}]})",
      TicketEvent(R"("channel": "email")"));
  EXPECT_EQ(SummarizeFailure(negated), "condition.all[0]: the negated condition held");
}

TEST_F(ConditionTest, SummaryRendersNumbersPlainly) {
  // Rendering of numbers in summaries: integers without a fraction.
  auto e = h_.ExplainOn(Pred("ticket.custom_fields.seats", "greater_than", "10"),
                        TicketEvent(R"("custom_fields": {"seats": 2.5})"));
  EXPECT_EQ(SummarizeFailure(e),
            "condition: ticket.custom_fields.seats greater_than 10 is false (actual 2.5)");
}

TEST_F(ConditionTest, IgnoreCaseIsShownInTheExpectedValueAsWritten) {
  auto e = h_.ExplainOn(PredIgnoreCase("ticket.subject", "contains", R"("ÄRGER")"),
                        TicketEvent(R"("subject": "kein ärger")"));
  EXPECT_TRUE(e.result());
  EXPECT_EQ(e.predicate().expected().string_value(), "ÄRGER");
  EXPECT_EQ(e.predicate().actual().string_value(), "kein ärger");
}

}  // namespace
}  // namespace triggerfish::server::engine
