// The rule set and its index: order, per-event-type lists, and a property
// test showing the indexed trigger cycle fires exactly the rules (in the same
// order, with the same resulting ticket) as evaluating every rule.

#include "server/engine/rule_set.h"

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "server/engine/ticket_patch.h"
#include "server/engine/trigger_cycle.h"
#include "tests/server/engine/test_action_catalog.h"
#include "tests/server/testing/proto_json.h"

namespace triggerfish::server::engine {
namespace {

using ::testing::ElementsAre;
using testing::TestActionCatalog;
using triggerfish::testing::FromJson;
using triggerfish::testing::ToJson;

std::shared_ptr<const CompiledRule> Compile(const v1::Rule& rule, const ActionCatalog& catalog) {
  Violations violations;
  auto out = CompileRule(rule, "rule.", RuleLimits{}, catalog, &violations);
  EXPECT_NE(out, nullptr) << ToJson(rule) << "\n"
                          << (violations.empty() ? ""
                                                 : violations.items()[0].field + ": " +
                                                       violations.items()[0].description);
  return out;
}

std::shared_ptr<const CompiledRule> Compile(const std::string& json) {
  TestActionCatalog catalog;
  return Compile(FromJson<v1::Rule>(json), catalog);
}

std::vector<std::string> Ids(const std::vector<const CompiledRule*>& rules) {
  std::vector<std::string> out;
  for (const auto* r : rules) out.push_back(r->id());
  return out;
}

TEST(RuleSetTest, OrdersByPositionThenIdAndListsEnabledRulesPerType) {
  RuleSet set({
      Compile(R"({"id": "b", "name": "n", "position": 2,
                  "trigger": {"event_types": ["ticket.created"]}})"),
      Compile(R"({"id": "a", "name": "n", "position": 2,
                  "trigger": {"event_types": ["ticket.created", "ticket.updated"]}})"),
      Compile(R"({"id": "z", "name": "n", "position": 1, "enabled": false,
                  "trigger": {"event_types": ["ticket.created"]}})"),
      Compile(R"({"id": "y", "name": "n", "position": 1,
                  "trigger": {"event_types": ["ticket.updated"]}})"),
  });
  std::vector<std::string> all;
  for (const auto& r : set.rules()) all.push_back(r->id());
  EXPECT_THAT(all, ElementsAre("y", "z", "a", "b"));  // disabled rules included
  ASSERT_NE(set.ForEventType("ticket.created"), nullptr);
  EXPECT_THAT(Ids(set.ForEventType("ticket.created")->rules), ElementsAre("a", "b"));
  EXPECT_THAT(Ids(set.ForEventType("ticket.updated")->rules), ElementsAre("y", "a"));
  EXPECT_EQ(set.ForEventType("sla.breached"), nullptr);
}

TEST(RuleSetTest, OnlyDisabledRulesForATypeMeansNoCandidates) {
  RuleSet set({Compile(R"({"id": "z", "name": "n", "enabled": false,
                            "trigger": {"event_types": ["ticket.created"]}})")});
  EXPECT_EQ(set.ForEventType("ticket.created"), nullptr);
}

TEST(RuleBitsetTest, SetsAcrossWordBoundaries) {
  RuleBitset b(130);
  EXPECT_EQ(b.NextSet(0), 130u);
  b.Set(0);
  b.Set(63);
  b.Set(64);
  b.Set(129);
  EXPECT_EQ(b.NextSet(0), 0u);
  EXPECT_EQ(b.NextSet(1), 63u);
  EXPECT_EQ(b.NextSet(64), 64u);
  EXPECT_EQ(b.NextSet(65), 129u);
  EXPECT_EQ(b.NextSet(130), 130u);
  b.Reset(63);
  EXPECT_FALSE(b.Test(63));
  EXPECT_EQ(b.NextSet(1), 64u);
}

TEST(RuleBitsetTest, FullSetHasNoBitsBeyondItsSize) {
  RuleBitset b(70, true);
  EXPECT_EQ(b.NextSet(69), 69u);
  EXPECT_EQ(b.NextSet(70), 70u);
  RuleBitset empty(0, true);
  EXPECT_EQ(empty.NextSet(0), 0u);
}

TEST(RuleBitsetTest, SetAlgebra) {
  RuleBitset a(100, true);
  RuleBitset x(100), y(100), gone(100);
  x.Set(3);
  y.Set(70);
  gone.Set(70);
  a.AndWithUnion(x, y);
  EXPECT_EQ(a.NextSet(0), 3u);
  EXPECT_EQ(a.NextSet(4), 70u);
  a.AndNot(gone);
  EXPECT_EQ(a.NextSet(4), 100u);
  a.AndWith(y);
  EXPECT_EQ(a.NextSet(0), 100u);
}

// -------------------------------------------------------------- the index

class RuleIndexTest : public ::testing::Test {
 protected:
  CycleResult Run(const RuleSet& set, const std::string& event_json) {
    event_ = FromJson<v1::Event>(event_json);
    return TriggerCycle(catalog_).Run(set, event_, {.tenant = "t"});
  }
  TestActionCatalog catalog_;
  v1::Event event_;
};

TEST_F(RuleIndexTest, RulesWhoseEqualityGuardCannotHoldAreNotEvaluated) {
  std::vector<std::shared_ptr<const CompiledRule>> rules;
  for (int i = 0; i < 100; ++i) {
    rules.push_back(Compile(R"({"id": "open-)" + std::to_string(i) + R"(", "name": "n",
        "trigger": {"event_types": ["ticket.updated"]},
        "condition": {"all": [
            {"predicate": {"field": "ticket.status", "operator": "is", "value": "open"}},
            {"predicate": {"field": "ticket.subject", "operator": "contains", "value": "x"}}]}})"));
  }
  rules.push_back(Compile(R"({"id": "unguarded", "name": "n",
      "trigger": {"event_types": ["ticket.updated"]},
      "condition": {"predicate": {"field": "ticket.subject", "operator": "contains",
                                  "value": "zzz"}}})"));
  RuleSet set(rules);
  EXPECT_EQ(set.ForEventType("ticket.updated")->index.field_count(), 1u);
  auto r = Run(set, R"({"id": "e", "type": "ticket.updated",
                        "ticket": {"id": "t", "status": "TICKET_STATUS_NEW", "subject": "x"}})");
  EXPECT_TRUE(r.fired_rules.empty());
  EXPECT_EQ(r.conditions_evaluated, 1);
  // With the guard satisfied every rule is a candidate.
  r = Run(set, R"({"id": "e", "type": "ticket.updated",
                   "ticket": {"id": "t", "status": "TICKET_STATUS_OPEN", "subject": "y"}})");
  EXPECT_EQ(r.conditions_evaluated, 101);
}

TEST_F(RuleIndexTest, InGuardsAndCaseInsensitiveGuardsStillFire) {
  RuleSet set({
      Compile(R"({"id": "in", "name": "n", "trigger": {"event_types": ["ticket.updated"]},
          "condition": {"predicate": {"field": "ticket.channel", "operator": "in",
                                      "value": ["web", "chat"]}}})"),
      Compile(R"({"id": "folded", "name": "n", "trigger": {"event_types": ["ticket.updated"]},
          "condition": {"predicate": {"field": "ticket.channel", "operator": "is",
                                      "value": "CHAT", "ignore_case": true}}})"),
      Compile(R"({"id": "exact", "name": "n", "trigger": {"event_types": ["ticket.updated"]},
          "condition": {"predicate": {"field": "ticket.channel", "operator": "is",
                                      "value": "CHAT"}}})"),
  });
  auto r = Run(set, R"({"id": "e", "type": "ticket.updated",
                        "ticket": {"id": "t", "channel": "chat"}})");
  std::vector<std::string> fired;
  for (const auto& f : r.fired_rules) fired.push_back(f.rule_id());
  EXPECT_THAT(fired, ElementsAre("folded", "in"));
}

// -------------------------------------------------------------- property test

// Generates random rules and events over a small vocabulary so that guards
// often match, rules often fire, and fired rules' patches make other rules
// true or false in later passes.
class RandomRules {
 public:
  explicit RandomRules(uint32_t seed) : rng_(seed) {}

  v1::Rule Rule(int i) {
    v1::Rule r;
    r.set_id("r" + std::to_string(i));
    r.set_name("random " + std::to_string(i));
    r.set_position(Pick(10));
    if (Pick(100) < 15) r.set_enabled(false);
    const int types = Pick(3);
    if (types != 1) r.mutable_trigger()->add_event_types("ticket.updated");
    if (types != 0) r.mutable_trigger()->add_event_types("ticket.created");
    const int shape = Pick(100);
    if (shape < 10) {
      // no condition
    } else if (shape < 30) {
      *r.mutable_condition() = PredicateNode();
    } else if (shape < 70) {
      const int n = 1 + Pick(3);
      for (int k = 0; k < n; ++k) *r.mutable_condition()->add_all() = PredicateNode();
    } else if (shape < 85) {
      for (int k = 0; k < 2; ++k) *r.mutable_condition()->add_any() = PredicateNode();
    } else {
      *r.mutable_condition()->mutable_not_() = PredicateNode();
    }
    const int actions = Pick(3);
    for (int a = 0; a < actions; ++a) {
      auto* action = r.add_actions();
      action->set_type("ticket.patch");
      *action->mutable_params() = FromJson<google::protobuf::Struct>(ToJson(Patch()));
    }
    return r;
  }

  v1::Event Event(int i) {
    v1::Event e;
    e.set_id("e" + std::to_string(i));
    const int type = Pick(10);
    e.set_type(type == 0 ? "sla.warning" : type < 6 ? "ticket.updated" : "ticket.created");
    v1::Ticket* t = e.mutable_ticket();
    t->set_id("t" + std::to_string(i));
    t->set_status(static_cast<v1::TicketStatus>(Pick(7)));
    t->set_priority(static_cast<v1::TicketPriority>(Pick(5)));
    if (Pick(4) != 0) t->set_type(Of(kTypes));
    if (Pick(4) != 0) t->set_channel(Of(kChannels));
    if (Pick(2) != 0) t->set_group_id(Of(kGroups));
    for (const std::string& tag : kTags) {
      if (Pick(3) == 0) t->add_tags(tag);
    }
    if (Pick(2) != 0) (*t->mutable_custom_fields())["plan"].set_string_value(Of(kPlans));
    return e;
  }

 private:
  using Words = std::vector<std::string>;
  const Words kStatuses = {"new", "open", "pending", "on_hold", "solved", "closed"};
  const Words kPriorities = {"low", "normal", "high", "urgent"};
  const Words kTypes = {"question", "incident", "Incident", "problem"};
  const Words kChannels = {"email", "web", "chat"};
  const Words kGroups = {"tier1", "tier2"};
  const Words kTags = {"vip", "billing", "spam"};
  const Words kPlans = {"free", "gold"};

  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  const std::string& Of(const Words& words) { return words[Pick(static_cast<int>(words.size()))]; }

  v1::Condition PredicateNode() {
    v1::Condition c;
    v1::Predicate* p = c.mutable_predicate();
    auto list = [&](const Words& values) {
      auto* l = p->mutable_value()->mutable_list_value();
      const int n = Pick(3);  // `in []` included
      for (int k = 0; k < n; ++k) l->add_values()->set_string_value(Of(values));
    };
    auto scalar = [&](const Words& values) { p->mutable_value()->set_string_value(Of(values)); };
    switch (Pick(8)) {
      case 0:
      case 1: {  // enums: the most common guards
        const bool status = Pick(2) == 0;
        p->set_field(status ? "ticket.status" : "ticket.priority");
        const char* ops[] = {"is", "is", "in", "is_not", "greater_than", "absent"};
        p->set_operator_(ops[Pick(6)]);
        if (p->operator_() == "in") {
          status ? list(kStatuses) : list(kPriorities);
        } else if (p->operator_() != "absent") {
          status ? scalar(kStatuses) : scalar(kPriorities);
        }
        break;
      }
      case 2:
      case 3: {  // text, sometimes case-insensitive
        const int which = Pick(3);
        p->set_field(which == 0   ? "ticket.type"
                     : which == 1 ? "ticket.channel"
                                  : "ticket.group_id");
        const Words& values = which == 0 ? kTypes : which == 1 ? kChannels : kGroups;
        const char* ops[] = {"is", "in", "not_in", "starts_with"};
        p->set_operator_(ops[Pick(4)]);
        p->set_ignore_case(Pick(3) == 0);
        if (p->operator_() == "in" || p->operator_() == "not_in") {
          list(values);
        } else {
          scalar(values);
        }
        break;
      }
      case 4:
      case 5: {
        p->set_field("ticket.tags");
        const char* ops[] = {"includes_any", "includes_all", "includes_none"};
        p->set_operator_(ops[Pick(3)]);
        list(kTags);
        break;
      }
      case 6:
        p->set_field("ticket.custom_fields.plan");
        p->set_operator_(Pick(2) == 0 ? "is" : "in");
        p->operator_() == "is" ? scalar(kPlans) : list(kPlans);
        break;
      default:
        p->set_field("event.type");
        p->set_operator_("is");
        p->mutable_value()->set_string_value(Pick(2) == 0 ? "ticket.updated" : "ticket.created");
        break;
    }
    return c;
  }

  v1::TicketPatch Patch() {
    v1::TicketPatch patch;
    switch (Pick(7)) {
      case 0:
        patch.set_status(static_cast<v1::TicketStatus>(1 + Pick(6)));
        break;
      case 1:
        patch.set_priority(static_cast<v1::TicketPriority>(1 + Pick(4)));
        break;
      case 2:
        patch.set_type(Of(kTypes));
        break;
      case 3:
        patch.set_group_id(Pick(3) == 0 ? "" : Of(kGroups));
        break;
      case 4:
        patch.add_add_tags(Of(kTags));
        break;
      case 5:
        patch.add_remove_tags(Of(kTags));
        break;
      default:
        (*patch.mutable_custom_fields())["plan"].set_string_value(Of(kPlans));
        break;
    }
    return patch;
  }

  std::mt19937 rng_;
};

struct Reference {
  std::vector<std::string> fired;
  v1::Ticket ticket;
  int64_t evaluated = 0;
};

// The trigger cycle without the index: walk every rule in (position, id)
// order, evaluate each condition, restart after each firing.
Reference RunWithoutIndex(const std::vector<std::shared_ptr<const CompiledRule>>& rules,
                          const v1::Event& event, const ActionCatalog& catalog) {
  std::vector<const CompiledRule*> listening;
  for (const auto& r : rules) {
    if (r->enabled() && r->ListensTo(event.type())) listening.push_back(r.get());
  }
  std::sort(listening.begin(), listening.end(), [](const auto* a, const auto* b) {
    return std::pair(a->rule.position(), a->id()) < std::pair(b->rule.position(), b->id());
  });
  Reference out;
  out.ticket = event.ticket();
  EvalInput input{&event, &out.ticket, nullptr, 0};
  std::vector<bool> fired(listening.size(), false);
  for (bool again = true; again;) {
    again = false;
    for (size_t i = 0; i < listening.size(); ++i) {
      if (fired[i]) continue;
      const CompiledRule& rule = *listening[i];
      ++out.evaluated;
      if (rule.condition && !Evaluate(*rule.condition, input)) continue;
      fired[i] = true;
      out.fired.push_back(rule.id());
      for (size_t a = 0; a < rule.actions.size(); ++a) {
        ActionRequest request;
        request.type = rule.actions[a].type;
        request.params = &rule.actions[a].params;
        request.ticket = &out.ticket;
        request.event = &event;
        ActionOutcome outcome = catalog.RunInline(request);
        if (outcome.code == ActionOutcome::Code::kOk) ApplyPatch(outcome.patch, &out.ticket);
      }
      again = true;
      break;
    }
  }
  return out;
}

TEST(RuleIndexPropertyTest, IndexedCycleFiresExactlyWhatEvaluatingEveryRuleFires) {
  constexpr int kTrials = 60;
  constexpr int kRulesPerTrial = 60;
  constexpr int kEventsPerTrial = 40;
  RandomRules random(20260302);
  TestActionCatalog catalog;
  int64_t indexed_evaluations = 0;
  int64_t reference_evaluations = 0;
  int events_with_restarts = 0;
  int events_firing = 0;
  size_t indexed_fields = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::vector<std::shared_ptr<const CompiledRule>> rules;
    for (int i = 0; i < kRulesPerTrial; ++i) {
      auto rule = Compile(random.Rule(i), catalog);
      ASSERT_NE(rule, nullptr);
      rules.push_back(std::move(rule));
    }
    RuleSet set(rules);
    for (const char* type : {"ticket.updated", "ticket.created"}) {
      if (const auto* t = set.ForEventType(type)) indexed_fields += t->index.field_count();
    }
    TriggerCycle cycle(catalog);
    for (int i = 0; i < kEventsPerTrial; ++i) {
      const v1::Event event = random.Event(i);
      SCOPED_TRACE("trial " + std::to_string(trial) + " event " + ToJson(event));
      const CycleResult indexed = cycle.Run(set, event, {.tenant = "t", .explain = true});
      const Reference reference = RunWithoutIndex(rules, event, catalog);
      std::vector<std::string> fired;
      for (const auto& f : indexed.fired_rules) fired.push_back(f.rule_id());
      ASSERT_EQ(fired, reference.fired);
      ASSERT_TRUE(
          google::protobuf::util::MessageDifferencer::Equals(indexed.ticket, reference.ticket))
          << ToJson(indexed.ticket) << "\nvs\n"
          << ToJson(reference.ticket);
      ASSERT_LE(indexed.conditions_evaluated, reference.evaluated);
      // Explanations agree: a rule that listens, is enabled and did not fire
      // is false on the final ticket (the last pass fired nothing).
      ASSERT_EQ(indexed.explanations.size(), rules.size());
      for (const auto& e : indexed.explanations) {
        const bool was_fired = std::find(fired.begin(), fired.end(), e.rule_id()) != fired.end();
        ASSERT_EQ(e.outcome() == v1::RULE_OUTCOME_FIRED, was_fired) << e.rule_id();
        if (e.outcome() == v1::RULE_OUTCOME_CONDITION_FALSE) {
          ASSERT_FALSE(e.condition().result()) << e.rule_id();
        }
      }
      indexed_evaluations += indexed.conditions_evaluated;
      reference_evaluations += reference.evaluated;
      events_firing += !fired.empty();
      events_with_restarts += fired.size() > 1;
    }
  }
  // The generated cases exercise what they should: rules fire, patches
  // cause further passes, and the index is built and rules out work.
  EXPECT_GT(events_firing, kTrials * kEventsPerTrial / 2);
  EXPECT_GT(events_with_restarts, kTrials * kEventsPerTrial / 4);
  EXPECT_GT(indexed_fields, static_cast<size_t>(kTrials));
  EXPECT_LT(indexed_evaluations, reference_evaluations);
}

}  // namespace
}  // namespace triggerfish::server::engine
