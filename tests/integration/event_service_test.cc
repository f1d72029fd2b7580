// EventService.EvaluateEvent over gRPC against the real triggerfishd.

#include <string>

#include "gtest/gtest.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/grpc_status.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::FieldViolations;
using testing::FromJson;
using testing::ServerProcess;

class EventServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    rules_ = v1::RuleService::NewStub(server_.Channel());
    events_ = v1::EventService::NewStub(server_.Channel());
  }

  void CreateRule(const std::string& id, const std::string& json) {
    grpc::ClientContext context;
    v1::CreateRuleRequest request;
    request.set_rule_id(id);
    *request.mutable_rule() = FromJson<v1::Rule>(json);
    v1::Rule rule;
    auto status = rules_->CreateRule(&context, request, &rule);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  grpc::Status Evaluate(const v1::EvaluateEventRequest& request,
                        v1::EvaluateEventResponse* response) {
    grpc::ClientContext context;
    return events_->EvaluateEvent(&context, request, response);
  }

  const v1::RuleExplanation* ExplanationOf(const v1::EvaluateEventResponse& response,
                                           const std::string& id) {
    for (const auto& e : response.explanations()) {
      if (e.rule_id() == id) return &e;
    }
    return nullptr;
  }

  ServerProcess server_;
  std::unique_ptr<v1::RuleService::Stub> rules_;
  std::unique_ptr<v1::EventService::Stub> events_;
};

constexpr char kEvent[] = R"({"event": {
  "id": "e1", "type": "ticket.updated", "occurred_at": "2026-03-01T12:00:00Z",
  "ticket": {"id": "T1", "subject": "Refund please", "status": "TICKET_STATUS_OPEN",
             "priority": "TICKET_PRIORITY_NORMAL", "tags": ["billing"], "channel": "email",
             "created_at": "2026-03-01T00:00:00Z",
             "custom_fields": {"plan": "gold", "seats": 12}},
  "previous": {"id": "T1", "status": "TICKET_STATUS_NEW", "priority": "TICKET_PRIORITY_NORMAL",
               "tags": ["billing"]}
}})";

TEST_F(EventServiceTest, ExplainsWhyEachRuleFiredOrNot) {
  CreateRule("reopened", R"({"name": "Opened", "position": 1,
    "trigger": {"event_types": ["ticket.updated"]},
    "condition": {"predicate": {"field": "ticket.status", "operator": "changed_to", "value": "open"}}})");
  CreateRule("gold-old", R"({"name": "Gold and old", "position": 2,
    "trigger": {"event_types": ["ticket.updated"]},
    "condition": {"all": [
      {"predicate": {"field": "ticket.custom_fields.plan", "operator": "is", "value": "gold"}},
      {"predicate": {"field": "ticket.hours_since_created", "operator": "greater_than", "value": 24}},
      {"predicate": {"field": "ticket.custom_fields.region", "operator": "is", "value": "eu"}}
    ]}})");
  CreateRule("off", R"({"name": "Disabled", "enabled": false, "position": 3,
    "trigger": {"event_types": ["ticket.updated"]}})");
  CreateRule("created-only", R"({"name": "On create", "position": 4,
    "trigger": {"event_types": ["ticket.created"]}})");

  v1::EvaluateEventResponse response;
  auto status = Evaluate(FromJson<v1::EvaluateEventRequest>(kEvent), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  ASSERT_EQ(response.fired_rules_size(), 1);
  EXPECT_EQ(response.fired_rules(0).rule_id(), "reopened");
  ASSERT_EQ(response.explanations_size(), 4);
  EXPECT_EQ(ExplanationOf(response, "reopened")->outcome(), v1::RULE_OUTCOME_FIRED);
  EXPECT_EQ(ExplanationOf(response, "off")->outcome(), v1::RULE_OUTCOME_DISABLED);
  EXPECT_EQ(ExplanationOf(response, "created-only")->outcome(), v1::RULE_OUTCOME_NOT_TRIGGERED);

  const v1::RuleExplanation* gold = ExplanationOf(response, "gold-old");
  ASSERT_NE(gold, nullptr);
  EXPECT_EQ(gold->outcome(), v1::RULE_OUTCOME_CONDITION_FALSE);
  ASSERT_EQ(gold->condition().children_size(), 3);
  const auto& plan = gold->condition().children(0).predicate();
  EXPECT_TRUE(plan.result());
  EXPECT_EQ(plan.actual().string_value(), "gold");
  const auto& age = gold->condition().children(1).predicate();
  EXPECT_FALSE(age.result());
  EXPECT_DOUBLE_EQ(age.actual().number_value(), 12.0);  // hours between created_at and occurred_at
  EXPECT_DOUBLE_EQ(age.expected().number_value(), 24.0);
  const auto& region = gold->condition().children(2).predicate();
  EXPECT_FALSE(region.result());
  EXPECT_FALSE(region.has_actual());
  EXPECT_EQ(region.note(), "field is absent");
  EXPECT_NE(gold->summary().find("condition.all[1]: ticket.hours_since_created greater_than 24"),
            std::string::npos)
      << gold->summary();

  const auto& opened = ExplanationOf(response, "reopened")->condition().predicate();
  EXPECT_EQ(opened.actual().string_value(), "open");
  EXPECT_EQ(opened.previous().string_value(), "new");
}

TEST_F(EventServiceTest, EvaluatesDraftRulesInlineWithoutSavingThem) {
  auto request = FromJson<v1::EvaluateEventRequest>(kEvent);
  *request.add_rules() = FromJson<v1::Rule>(R"({"name": "refunds",
    "trigger": {"event_types": ["ticket.updated"]},
    "condition": {"predicate": {"field": "ticket.subject", "operator": "contains",
                                "value": "REFUND", "ignore_case": true}}})");
  v1::EvaluateEventResponse response;
  ASSERT_TRUE(Evaluate(request, &response).ok());
  ASSERT_EQ(response.fired_rules_size(), 1);
  EXPECT_EQ(response.fired_rules(0).rule_id(), "inline-0");

  grpc::ClientContext context;
  v1::ListRulesResponse list;
  ASSERT_TRUE(rules_->ListRules(&context, {}, &list).ok());
  EXPECT_EQ(list.total_size(), 0);

  *request.add_rules() = FromJson<v1::Rule>(R"({"name": "bad",
    "trigger": {"event_types": ["ticket.updated"]},
    "condition": {"not": {"predicate": {"field": "ticket.nope", "operator": "present"}}}})");
  auto status = Evaluate(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(FieldViolations(status).contains("rules[1].condition.not.predicate.field"))
      << status.error_message();
}

TEST_F(EventServiceTest, MalformedEventIsRejectedWithPaths) {
  auto request = FromJson<v1::EvaluateEventRequest>(
      R"({"event": {"type": "Ticket Updated", "ticket": {"subject": "x"}}})");
  request.mutable_event()->mutable_ticket()->set_status(static_cast<v1::TicketStatus>(42));
  v1::EvaluateEventResponse response;
  auto status = Evaluate(request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto violations = FieldViolations(status);
  EXPECT_TRUE(violations.contains("event.id"));
  EXPECT_TRUE(violations.contains("event.type"));
  EXPECT_TRUE(violations.contains("event.ticket.id"));
  EXPECT_TRUE(violations.contains("event.ticket.status"));
}

TEST_F(EventServiceTest, ExplainLevelTrimsTheExplanations) {
  CreateRule("reopened", R"({"name": "Opened", "trigger": {"event_types": ["ticket.updated"]},
    "condition": {"predicate": {"field": "ticket.status", "operator": "changed_to", "value": "open"}}})");
  CreateRule("never", R"({"name": "Never", "trigger": {"event_types": ["ticket.updated"]},
    "condition": {"predicate": {"field": "ticket.subject", "operator": "is", "value": "nope"}}})");
  auto request = FromJson<v1::EvaluateEventRequest>(kEvent);
  request.set_explain(v1::EXPLAIN_LEVEL_SUMMARY);
  v1::EvaluateEventResponse response;
  ASSERT_TRUE(Evaluate(request, &response).ok());
  ASSERT_EQ(response.explanations_size(), 2);
  for (const auto& e : response.explanations()) EXPECT_FALSE(e.has_condition());
  EXPECT_NE(ExplanationOf(response, "never")->summary().find("ticket.subject is \"nope\""),
            std::string::npos)
      << ExplanationOf(response, "never")->summary();

  request.set_explain(v1::EXPLAIN_LEVEL_NONE);
  response.Clear();
  ASSERT_TRUE(Evaluate(request, &response).ok());
  EXPECT_EQ(response.explanations_size(), 0);
  ASSERT_EQ(response.fired_rules_size(), 1);
  EXPECT_EQ(response.fired_rules(0).rule_id(), "reopened");

  request.set_explain(static_cast<v1::ExplainLevel>(9));
  EXPECT_EQ(Evaluate(request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(EventServiceTest, EmptyTenantFiresNothingAndReturnsTheTicket) {
  v1::EvaluateEventResponse response;
  ASSERT_TRUE(Evaluate(FromJson<v1::EvaluateEventRequest>(kEvent), &response).ok());
  EXPECT_EQ(response.fired_rules_size(), 0);
  EXPECT_EQ(response.ticket().id(), "T1");
  EXPECT_EQ(response.passes(), 0);
}

}  // namespace
}  // namespace triggerfish
