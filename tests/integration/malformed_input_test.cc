// Malformed input against the real triggerfishd: deep nesting, huge strings,
// invalid UTF-8 (sent as raw bytes, which the C++ stubs would never
// produce), NaN and Infinity, catastrophic regular expressions, unknown enum
// numbers, duplicate and empty ids, missing fields, wrong value types, bad
// page sizes and forged page tokens. Each must be a clean error naming the
// offending field (a google.rpc.BadRequest field violation) with the store
// unchanged - never a crash, never a partial write.

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/integration/test_client.h"
#include "tests/testing/grpc_status.h"
#include "triggerfish/v1/plugin_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::Client;
using testing::FieldViolations;
using testing::FromJson;
using testing::ServerProcess;

// A condition nested `depth` levels deep ("not" inside "not" ... around one
// predicate); the root counts as level 1.
v1::Condition NestedCondition(int depth) {
  v1::Condition root;
  v1::Condition* c = &root;
  for (int i = 1; i < depth; ++i) c = c->mutable_not_();
  auto* p = c->mutable_predicate();
  p->set_field("ticket.status");
  p->set_operator_("is");
  p->mutable_value()->set_string_value("open");
  return root;
}

// A google.protobuf.Value nested `depth` levels deep (lists in lists).
google::protobuf::Value NestedValue(int depth) {
  google::protobuf::Value root;
  google::protobuf::Value* v = &root;
  for (int i = 1; i < depth; ++i) v = v->mutable_list_value()->add_values();
  v->set_string_value("bottom");
  return root;
}

class MalformedInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    client_ = std::make_unique<Client>(server_.Channel());
    // Something in every table, so that "unchanged" means something.
    ASSERT_TRUE(client_
                    ->CreateRule("tag-new", R"({"name": "tag new", "trigger": {"event_types":
                    ["ticket.created"]}, "actions": [{"type": "ticket.add_tags",
                    "params": {"tags": ["new"]}}]})")
                    .ok());
    grpc::ClientContext context;
    v1::CreateAgentRequest agent;
    agent.mutable_agent()->set_id("ana");
    agent.mutable_agent()->add_groups("tier1");
    v1::Agent created;
    ASSERT_TRUE(client_->agents->CreateAgent(&context, agent, &created).ok());
    v1::PublishEventResponse response;
    ASSERT_TRUE(client_
                    ->Publish(R"({"id": "e0", "type": "ticket.created", "ticket": {"id": "T0"}})",
                              &response)
                    .ok());
    baseline_ = Snapshot();
  }

  struct State {
    std::vector<std::string> rules;
    std::vector<std::string> agents;
    int tickets = 0;
    size_t executions = 0;
    bool operator==(const State&) const = default;
  };

  State Snapshot() {
    return {client_->RuleIds(), client_->AgentIds(), client_->TicketCount(),
            client_->Executions().size()};
  }

  void ExpectUnchanged() {
    State now = Snapshot();
    EXPECT_EQ(now.rules, baseline_.rules);
    EXPECT_EQ(now.agents, baseline_.agents);
    EXPECT_EQ(now.tickets, baseline_.tickets);
    EXPECT_EQ(now.executions, baseline_.executions);
    EXPECT_TRUE(client_->Serving());
  }

  // Saves `rule` (as a draft would be saved) and expects INVALID_ARGUMENT
  // naming `path`.
  void ExpectRuleRejected(const v1::Rule& rule, const std::string& path) {
    auto status = client_->CreateRule("malformed", rule);
    ExpectInvalid(status, path);
  }

  static void ExpectInvalid(const grpc::Status& status, const std::string& path) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << path << ": " << status.error_code() << " " << status.error_message();
    auto violations = FieldViolations(status);
    std::string all;
    for (const auto& [field, description] : violations) all += field + ": " + description + "\n";
    EXPECT_TRUE(violations.contains(path)) << "no violation of " << path << " in:\n" << all;
  }

  // Like ExpectInvalid, for a violation at or below `prefix` (a value nested
  // too deep is named by the path of its first level beyond the limit).
  static void ExpectInvalidUnder(const grpc::Status& status, const std::string& prefix) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << prefix << ": " << status.error_code() << " " << status.error_message();
    std::string all;
    bool found = false;
    for (const auto& [field, description] : FieldViolations(status)) {
      all += field + ": " + description + "\n";
      found = found || field.starts_with(prefix);
    }
    EXPECT_TRUE(found) << "no violation under " << prefix << " in:\n" << all;
  }

  static v1::Rule BaseRule() {
    return FromJson<v1::Rule>(R"({"name": "n", "trigger": {"event_types": ["ticket.created"]}})");
  }

  static v1::Event BaseEvent(const std::string& id) {
    return FromJson<v1::Event>(R"({"id": ")" + id +
                               R"(", "type": "ticket.created", "ticket": {"id": "T1"}})");
  }

  // Sends `request` (serialized, then bytes patched by the caller) to
  // `method` with the generic stub: the server sees exactly these bytes.
  grpc::Status RawCall(const std::string& method, const std::string& bytes) {
    grpc::GenericStub stub(server_.Channel());
    grpc::CompletionQueue cq;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    auto call = stub.PrepareUnaryCall(&context, method, request, &cq);
    call->StartCall();
    grpc::ByteBuffer response;
    grpc::Status status;
    call->Finish(&response, &status, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    return status;
  }

  // Sends `messages` (raw bytes each) on one PublishEvents stream, half-closes
  // and returns the acknowledgements and the stream's status.
  grpc::Status RawStream(const std::vector<std::string>& messages,
                         std::vector<v1::PublishEventsResponse>* acks) {
    grpc::GenericStub stub(server_.Channel());
    grpc::CompletionQueue cq;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto call = stub.PrepareCall(&context, "/triggerfish.v1.EventService/PublishEvents", &cq);
    void* tag = nullptr;
    bool ok = false;
    auto wait = [&] { return cq.Next(&tag, &ok) && ok; };
    call->StartCall(reinterpret_cast<void*>(1));
    EXPECT_TRUE(wait());
    for (const std::string& bytes : messages) {
      grpc::Slice slice(bytes);
      grpc::ByteBuffer message(&slice, 1);
      call->Write(message, reinterpret_cast<void*>(2));
      EXPECT_TRUE(wait());
    }
    call->WritesDone(reinterpret_cast<void*>(3));
    EXPECT_TRUE(wait());
    while (true) {
      grpc::ByteBuffer bytes;
      call->Read(&bytes, reinterpret_cast<void*>(4));
      if (!wait()) break;
      std::vector<grpc::Slice> slices;
      EXPECT_TRUE(bytes.Dump(&slices).ok());
      std::string flat;
      for (const auto& slice : slices) {
        flat.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
      }
      acks->emplace_back().ParseFromString(flat);
    }
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(5));
    EXPECT_TRUE(cq.Next(&tag, &ok));
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    return status;
  }

  ServerProcess server_;
  std::unique_ptr<Client> client_;
  State baseline_;
};

TEST_F(MalformedInputTest, ConditionsNestedBeyondTheDepthLimitAreRejected) {
  v1::Rule rule = BaseRule();
  *rule.mutable_condition() = NestedCondition(32);  // limits.max_condition_depth
  ASSERT_TRUE(client_->CreateRule("deep-ok", rule).ok());
  baseline_ = Snapshot();

  *rule.mutable_condition() = NestedCondition(33);
  auto status = client_->CreateRule("too-deep", rule);
  // Named by the path of the first node too deep: level 33.
  std::string path = "rule.condition";
  for (int i = 1; i < 33; ++i) path += ".not";
  ExpectInvalid(status, path);
  EXPECT_NE(FieldViolations(status)[path].find("limits.max_condition_depth"), std::string::npos)
      << status.error_message();
  // Far beyond it, deeper than protobuf's own parser accepts (100): the
  // request cannot even be parsed, and the server says so.
  *rule.mutable_condition() = NestedCondition(500);
  status = client_->CreateRule("way-too-deep", rule);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  // As a draft in EvaluateEvent too.
  grpc::ClientContext context;
  v1::EvaluateEventRequest evaluate;
  *evaluate.mutable_event() = BaseEvent("x1");
  *evaluate.add_rules() = rule;
  evaluate.mutable_rules(0)->set_id("draft");
  *evaluate.mutable_rules(0)->mutable_condition() = NestedCondition(33);
  v1::EvaluateEventResponse evaluated;
  status = client_->events->EvaluateEvent(&context, evaluate, &evaluated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  ExpectUnchanged();
}

TEST_F(MalformedInputTest, DeeplyNestedValuesInEventsAreRejectedWithTheirPath) {
  v1::PublishEventResponse response;
  v1::Event event = BaseEvent("nested-cf");
  (*event.mutable_ticket()->mutable_custom_fields())["deep"] = NestedValue(40);
  ExpectInvalidUnder(client_->Publish(event, &response), "event.ticket.custom_fields.deep[0]");

  event = BaseEvent("nested-payload");
  *event.mutable_payload() = NestedValue(40);
  ExpectInvalidUnder(client_->Publish(event, &response), "event.payload[0]");

  event = BaseEvent("nested-previous");
  event.mutable_previous()->set_id("T1");
  (*event.mutable_previous()->mutable_custom_fields())["deep"] = NestedValue(40);
  ExpectInvalidUnder(client_->Publish(event, &response), "event.previous.custom_fields.deep[0]");
  ExpectUnchanged();
}

TEST_F(MalformedInputTest, HugeStringsHitTheirLimits) {
  v1::Rule rule = BaseRule();
  rule.set_name(std::string(300 * 1024, 'n'));  // over limits.max_rule_bytes
  auto status = client_->CreateRule("huge-name", rule);
  ExpectInvalid(status, "rule");
  EXPECT_NE(FieldViolations(status)["rule"].find("limits.max_rule_bytes"), std::string::npos);

  rule = BaseRule();
  auto* p = rule.mutable_condition()->mutable_predicate();
  p->set_field("ticket.subject");
  p->set_operator_("contains");
  p->mutable_value()->set_string_value(std::string(5000, 'v'));  // over max_value_length
  ExpectRuleRejected(rule, "rule.condition.predicate.value");

  // A string of 200 KB where an action's params schema has a pattern
  // (ticket.add_tags: "^[^\\s,]+$", at most 80 characters). A matcher that
  // recursed once per character would overflow the stack here.
  rule = BaseRule();
  auto* action = rule.add_actions();
  action->set_type("ticket.add_tags");
  google::protobuf::Value tag;
  tag.set_string_value(std::string(200 * 1024, 'x'));
  *(*action->mutable_params()->mutable_fields())["tags"].mutable_list_value()->add_values() = tag;
  ExpectRuleRejected(rule, "rule.actions[0].params.tags[0]");
  EXPECT_TRUE(client_->Serving());

  v1::PublishEventResponse response;
  v1::Event event = BaseEvent(std::string(129, 'e'));
  ExpectInvalid(client_->Publish(event, &response), "event.id");
  event = BaseEvent("huge-ticket-id");
  event.mutable_ticket()->set_id(std::string(129, 't'));
  ExpectInvalid(client_->Publish(event, &response), "event.ticket.id");
  // Over the server's max_message_bytes (4 MiB): refused by gRPC itself.
  event = BaseEvent("huge-message");
  event.mutable_ticket()->set_description(std::string(5 << 20, 'd'));
  status = client_->Publish(event, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  ExpectUnchanged();
}

TEST_F(MalformedInputTest, InvalidUtf8InStringFieldsIsACleanError) {
  // A valid request whose string field holds a same-length placeholder; the
  // placeholder's bytes are then replaced by invalid UTF-8.
  const std::string placeholder = "PLACEHOLDER!";
  const std::string invalid = "\xff\xfe\xc3\x28 bad! \xa0\xa1";
  ASSERT_EQ(placeholder.size(), invalid.size());
  auto patch = [&](std::string bytes) {
    const size_t at = bytes.find(placeholder);
    EXPECT_NE(at, std::string::npos);
    bytes.replace(at, placeholder.size(), invalid);
    return bytes;
  };

  v1::CreateRuleRequest create;
  create.set_rule_id("utf8");
  *create.mutable_rule() = BaseRule();
  create.mutable_rule()->set_name(placeholder);
  auto status =
      RawCall("/triggerfish.v1.RuleService/CreateRule", patch(create.SerializeAsString()));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();

  v1::PublishEventRequest publish;
  *publish.mutable_event() = BaseEvent("utf8-event");
  publish.mutable_event()->mutable_ticket()->set_subject(placeholder);
  status = RawCall("/triggerfish.v1.EventService/PublishEvent", patch(publish.SerializeAsString()));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();

  // In a map key (custom field name) too.
  *publish.mutable_event() = BaseEvent("utf8-key");
  (*publish.mutable_event()->mutable_ticket()->mutable_custom_fields())[placeholder]
      .set_string_value("v");
  status = RawCall("/triggerfish.v1.EventService/PublishEvent", patch(publish.SerializeAsString()));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();

  v1::CreateAgentRequest agent;
  agent.mutable_agent()->set_id("bob");
  agent.mutable_agent()->set_name(placeholder);
  status = RawCall("/triggerfish.v1.AgentService/CreateAgent", patch(agent.SerializeAsString()));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();

  // Bytes that are not a protobuf message at all.
  status = RawCall("/triggerfish.v1.RuleService/CreateRule", "\xff\xff\xff\xff\xff\xff");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  ExpectUnchanged();
}

TEST_F(MalformedInputTest, NanAndInfinityAreRejectedWhereverNumbersGo) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  v1::PublishEventResponse response;
  v1::Event event = BaseEvent("nan-cf");
  (*event.mutable_ticket()->mutable_custom_fields())["score"].set_number_value(nan);
  ExpectInvalid(client_->Publish(event, &response), "event.ticket.custom_fields.score");

  event = BaseEvent("inf-payload");
  (*event.mutable_payload()->mutable_struct_value()->mutable_fields())["x"].set_number_value(-inf);
  ExpectInvalid(client_->Publish(event, &response), "event.payload.x");

  v1::Rule rule = BaseRule();
  auto* p = rule.mutable_condition()->mutable_predicate();
  p->set_field("ticket.custom_fields.score");
  p->set_operator_("greater_than");
  p->mutable_value()->set_number_value(nan);
  ExpectRuleRejected(rule, "rule.condition.predicate.value");
  p->mutable_value()->set_number_value(inf);
  ExpectRuleRejected(rule, "rule.condition.predicate.value");
  p->set_operator_("in");
  p->mutable_value()->mutable_list_value()->add_values()->set_number_value(1);
  p->mutable_value()->mutable_list_value()->add_values()->set_number_value(nan);
  ExpectRuleRejected(rule, "rule.condition.predicate.value[1]");

  rule = BaseRule();
  auto* action = rule.add_actions();
  action->set_type("ticket.set_custom_field");
  (*action->mutable_params()->mutable_fields())["key"].set_string_value("score");
  (*action->mutable_params()->mutable_fields())["value"].set_number_value(inf);
  ExpectRuleRejected(rule, "rule.actions[0].params.value");
  ExpectUnchanged();
}

TEST_F(MalformedInputTest, CatastrophicRegexRunsInLinearTime) {
  ASSERT_TRUE(client_
                  ->CreateRule("redos", R"({"name": "redos", "trigger": {"event_types":
    ["ticket.created"]}, "condition": {"predicate": {"field": "ticket.description",
    "operator": "matches", "value": "(a+)+$"}}, "actions": [{"type": "ticket.add_tags",
    "params": {"tags": ["matched"]}}]})")
                  .ok());
  for (const std::string& pattern : {std::string("(a|aa)+$"), std::string("(a*)*b"),
                                     std::string("^(([a-z])+.)+[A-Z]([a-z])+$")}) {
    v1::Rule rule = BaseRule();
    auto* p = rule.mutable_condition()->mutable_predicate();
    p->set_field("ticket.description");
    p->set_operator_("matches");
    p->mutable_value()->set_string_value(pattern);
    EXPECT_TRUE(client_->CreateRule("redos-" + std::to_string(pattern.size()), rule).ok())
        << pattern;
  }
  // A backtracking engine needs ~2^n steps for n 'a's followed by '!'.
  v1::Event event = BaseEvent("redos-event");
  event.mutable_ticket()->set_description(std::string(500'000, 'a') + "!");
  grpc::ClientContext context;
  v1::EvaluateEventRequest request;
  *request.mutable_event() = event;
  v1::EvaluateEventResponse response;
  const auto start = std::chrono::steady_clock::now();
  auto status = client_->events->EvaluateEvent(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
  // The explanation does not repeat the 500,000 characters per predicate
  // (which would push the response past max_message_bytes).
  bool explained = false;
  for (const auto& e : response.explanations()) {
    if (e.rule_id() != "redos") continue;
    explained = true;
    EXPECT_FALSE(e.condition().predicate().result());
    EXPECT_LT(e.condition().predicate().actual().string_value().size(), 2000u);
  }
  EXPECT_TRUE(explained);
  // Pattern length and program size are limited too (limits.max_regex_length,
  // limits.regex_max_mem).
  v1::Rule rule = BaseRule();
  auto* p = rule.mutable_condition()->mutable_predicate();
  p->set_field("ticket.description");
  p->set_operator_("matches");
  p->mutable_value()->set_string_value(std::string(1025, 'a'));
  ExpectRuleRejected(rule, "rule.condition.predicate.value");
  p->mutable_value()->set_string_value("((((((((((a{1,100}){1,100}){1,100}){1,100}))))))))");
  ExpectRuleRejected(rule, "rule.condition.predicate.value");
}

TEST_F(MalformedInputTest, UnknownEnumNumbersAreRejected) {
  v1::PublishEventResponse response;
  v1::Event event = BaseEvent("enum-status");
  event.mutable_ticket()->set_status(static_cast<v1::TicketStatus>(42));
  ExpectInvalid(client_->Publish(event, &response), "event.ticket.status");
  event = BaseEvent("enum-priority");
  event.mutable_previous()->set_priority(static_cast<v1::TicketPriority>(-3));
  ExpectInvalid(client_->Publish(event, &response), "event.previous.priority");

  grpc::ClientContext context;
  v1::EvaluateEventRequest evaluate;
  *evaluate.mutable_event() = BaseEvent("enum-explain");
  evaluate.set_explain(static_cast<v1::ExplainLevel>(77));
  v1::EvaluateEventResponse evaluated;
  ExpectInvalid(client_->events->EvaluateEvent(&context, evaluate, &evaluated), "explain");

  grpc::ClientContext list_context;
  v1::ListExecutionsRequest list;
  list.set_status(static_cast<v1::ExecutionStatus>(99));
  v1::ListExecutionsResponse listed;
  ExpectInvalid(client_->executions->ListExecutions(&list_context, list, &listed), "status");
  ExpectUnchanged();
}

TEST_F(MalformedInputTest, DuplicateIdsAreAlreadyExistsOrDuplicates) {
  auto status = client_->CreateRule("tag-new", BaseRule());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << status.error_message();

  grpc::ClientContext context;
  v1::CreateAgentRequest agent;
  agent.mutable_agent()->set_id("ana");
  v1::Agent created;
  status = client_->agents->CreateAgent(&context, agent, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << status.error_message();

  // The same event id twice in one stream (and once more, already
  // committed): evaluated once, the others are answered as duplicates.
  grpc::ClientContext stream_context;
  auto stream = client_->events->PublishEvents(&stream_context);
  for (const char* id : {"s1", "s1", "e0"}) {
    v1::PublishEventRequest request;
    *request.mutable_event() = BaseEvent(id);
    ASSERT_TRUE(stream->Write(request));
  }
  stream->WritesDone();
  std::vector<v1::PublishEventsResponse> answers;
  for (v1::PublishEventsResponse r; stream->Read(&r);) answers.push_back(r);
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_FALSE(answers[0].result().duplicate());
  EXPECT_TRUE(answers[1].result().duplicate());
  EXPECT_TRUE(answers[2].result().duplicate());
  v1::ListExecutionsRequest of_s1;
  of_s1.set_event_id("s1");
  EXPECT_EQ(client_->Executions(of_s1).size(), 1u);

  // A rule whose trigger repeats an event type.
  v1::Rule rule = BaseRule();
  rule.mutable_trigger()->add_event_types("ticket.created");
  status = client_->CreateRule("dup-types", rule);
  ExpectInvalid(status, "rule.trigger.event_types[1]");
}

TEST_F(MalformedInputTest, MissingRequiredFieldsAreNamed) {
  v1::PublishEventResponse response;
  ExpectInvalid(client_->Publish(v1::Event(), &response), "event.id");
  ExpectInvalid(client_->Publish(v1::Event(), &response), "event.type");
  ExpectInvalid(client_->Publish(v1::Event(), &response), "event.ticket");

  v1::Rule rule;
  ExpectRuleRejected(rule, "rule.name");
  ExpectRuleRejected(rule, "rule.trigger.event_types");
  rule = BaseRule();
  rule.mutable_condition()->mutable_predicate()->set_operator_("is");
  ExpectRuleRejected(rule, "rule.condition.predicate.field");
  rule = BaseRule();
  rule.add_actions();
  ExpectRuleRejected(rule, "rule.actions[0].type");
  rule = BaseRule();
  rule.add_actions()->set_type("ticket.add_tags");
  ExpectRuleRejected(rule, "rule.actions[0].params.tags");

  grpc::ClientContext context;
  v1::CreateAgentRequest agent;
  v1::Agent created;
  ExpectInvalid(client_->agents->CreateAgent(&context, agent, &created), "agent.id");
  ExpectUnchanged();
}

TEST_F(MalformedInputTest, WrongValueTypesAreRejectedWithThePath) {
  v1::Rule rule = BaseRule();
  auto* p = rule.mutable_condition()->mutable_predicate();
  p->set_field("ticket.hours_since_created");
  p->set_operator_("greater_than");
  p->mutable_value()->set_string_value("five");
  ExpectRuleRejected(rule, "rule.condition.predicate.value");
  p->set_field("ticket.subject");
  p->set_operator_("contains");
  p->mutable_value()->set_number_value(5);
  ExpectRuleRejected(rule, "rule.condition.predicate.value");
  p->set_field("ticket.status");
  p->set_operator_("is");
  p->mutable_value()->set_bool_value(true);
  ExpectRuleRejected(rule, "rule.condition.predicate.value");
  p->set_field("ticket.tags");
  p->set_operator_("includes_any");
  p->mutable_value()->set_string_value("not a list");
  ExpectRuleRejected(rule, "rule.condition.predicate.value");
  p->set_operator_("includes_any");
  p->mutable_value()->mutable_list_value()->add_values()->set_string_value("ok");
  p->mutable_value()->mutable_list_value()->add_values()->set_number_value(3);
  ExpectRuleRejected(rule, "rule.condition.predicate.value[1]");

  rule = BaseRule();
  auto* action = rule.add_actions();
  action->set_type("ticket.add_tags");
  (*action->mutable_params()->mutable_fields())["tags"].set_string_value("vip");
  ExpectRuleRejected(rule, "rule.actions[0].params.tags");

  // A custom field holds whatever the helpdesk sends; comparing it with a
  // value of another type is false (and says so), not an error.
  ASSERT_TRUE(client_
                  ->CreateRule("plan-number", R"({"name": "plan", "trigger": {"event_types":
    ["ticket.updated"]}, "condition": {"predicate": {"field": "ticket.custom_fields.plan",
    "operator": "greater_than", "value": 3}}, "actions": [{"type": "ticket.add_tags",
    "params": {"tags": ["big"]}}]})")
                  .ok());
  v1::PublishEventResponse response;
  auto status = client_->Publish(
      R"({"id": "typed", "type": "ticket.updated", "ticket": {"id": "T9",
          "custom_fields": {"plan": "gold"}}})",
      &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.fired_rules_size(), 0);
}

TEST_F(MalformedInputTest, BadPageSizesAreRejectedOnEveryList) {
  for (int size : {-1, 1001, std::numeric_limits<int>::max(), std::numeric_limits<int>::min()}) {
    SCOPED_TRACE(size);
    {
      grpc::ClientContext context;
      v1::ListRulesRequest request;
      request.set_page_size(size);
      v1::ListRulesResponse response;
      ExpectInvalid(client_->rules->ListRules(&context, request, &response), "page_size");
    }
    {
      grpc::ClientContext context;
      v1::ListAgentsRequest request;
      request.set_page_size(size);
      v1::ListAgentsResponse response;
      ExpectInvalid(client_->agents->ListAgents(&context, request, &response), "page_size");
    }
    {
      grpc::ClientContext context;
      v1::ListTicketsRequest request;
      request.set_page_size(size);
      v1::ListTicketsResponse response;
      ExpectInvalid(client_->tickets->ListTickets(&context, request, &response), "page_size");
    }
    {
      grpc::ClientContext context;
      v1::ListExecutionsRequest request;
      request.set_page_size(size);
      v1::ListExecutionsResponse response;
      ExpectInvalid(client_->executions->ListExecutions(&context, request, &response), "page_size");
    }
    {
      auto plugins = v1::PluginService::NewStub(server_.Channel());
      grpc::ClientContext context;
      v1::ListPluginStateRequest request;
      request.set_plugin("assign");
      request.set_page_size(size);
      v1::ListPluginStateResponse response;
      ExpectInvalid(plugins->ListPluginState(&context, request, &response), "page_size");
    }
  }
}

TEST_F(MalformedInputTest, ForgedAndForeignPageTokensAreRejected) {
  for (const char* id : {"bob", "cho", "dee"}) {
    grpc::ClientContext context;
    v1::CreateAgentRequest agent;
    agent.mutable_agent()->set_id(id);
    agent.mutable_agent()->add_groups(std::string(id) == "dee" ? "tier2" : "tier1");
    v1::Agent created;
    ASSERT_TRUE(client_->agents->CreateAgent(&context, agent, &created).ok());
  }
  const std::vector<std::string> forged = {
      "garbage!",                                 // not base64
      absl::WebSafeBase64Escape("hello, world"),  // base64 of something else
      absl::WebSafeBase64Escape(std::string(5000, 'k')), std::string(100'000, 'A'),  // huge
  };
  for (const auto& token : forged) {
    SCOPED_TRACE(token.substr(0, 40));
    grpc::ClientContext rules_context;
    v1::ListRulesRequest rules;
    rules.set_page_token(token);
    v1::ListRulesResponse rules_response;
    ExpectInvalid(client_->rules->ListRules(&rules_context, rules, &rules_response), "page_token");
    grpc::ClientContext agents_context;
    v1::ListAgentsRequest agents;
    agents.set_page_token(token);
    v1::ListAgentsResponse agents_response;
    ExpectInvalid(client_->agents->ListAgents(&agents_context, agents, &agents_response),
                  "page_token");
    grpc::ClientContext executions_context;
    v1::ListExecutionsRequest executions;
    executions.set_page_token(token);
    v1::ListExecutionsResponse executions_response;
    ExpectInvalid(
        client_->executions->ListExecutions(&executions_context, executions, &executions_response),
        "page_token");
  }

  // A token is bound to the listing's filters: a page of tier1 agents does
  // not continue a listing of tier2 agents.
  grpc::ClientContext first_context;
  v1::ListAgentsRequest tier1;
  tier1.set_group("tier1");
  tier1.set_page_size(1);
  v1::ListAgentsResponse page;
  ASSERT_TRUE(client_->agents->ListAgents(&first_context, tier1, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  grpc::ClientContext other_context;
  v1::ListAgentsRequest tier2;
  tier2.set_group("tier2");
  tier2.set_page_token(page.next_page_token());
  v1::ListAgentsResponse other;
  ExpectInvalid(client_->agents->ListAgents(&other_context, tier2, &other), "page_token");
  // A ListAgents token is not a ListTickets token.
  grpc::ClientContext tickets_context;
  v1::ListTicketsRequest tickets;
  tickets.set_page_token(page.next_page_token());
  v1::ListTicketsResponse tickets_response;
  ExpectInvalid(client_->tickets->ListTickets(&tickets_context, tickets, &tickets_response),
                "page_token");
}

TEST_F(MalformedInputTest, EmptyIdsAreInvalidNotNotFound) {
  {
    grpc::ClientContext context;
    v1::Rule rule;
    ExpectInvalid(client_->rules->GetRule(&context, v1::GetRuleRequest(), &rule), "id");
  }
  {
    grpc::ClientContext context;
    google::protobuf::Empty empty;
    ExpectInvalid(client_->rules->DeleteRule(&context, v1::DeleteRuleRequest(), &empty), "id");
  }
  {
    grpc::ClientContext context;
    v1::UpdateRuleRequest request;
    request.mutable_rule()->set_name("x");
    v1::Rule rule;
    ExpectInvalid(client_->rules->UpdateRule(&context, request, &rule), "rule.id");
  }
  {
    grpc::ClientContext context;
    v1::Agent agent;
    ExpectInvalid(client_->agents->GetAgent(&context, v1::GetAgentRequest(), &agent), "id");
  }
  {
    grpc::ClientContext context;
    google::protobuf::Empty empty;
    ExpectInvalid(client_->agents->DeleteAgent(&context, v1::DeleteAgentRequest(), &empty), "id");
  }
  {
    grpc::ClientContext context;
    v1::UpdateAgentRequest request;
    v1::Agent agent;
    ExpectInvalid(client_->agents->UpdateAgent(&context, request, &agent), "agent.id");
  }
  {
    grpc::ClientContext context;
    v1::TicketRecord record;
    ExpectInvalid(client_->tickets->GetTicket(&context, v1::GetTicketRequest(), &record), "id");
  }
  {
    grpc::ClientContext context;
    v1::Execution execution;
    ExpectInvalid(
        client_->executions->GetExecution(&context, v1::GetExecutionRequest(), &execution), "id");
  }
  {
    grpc::ClientContext context;
    v1::Execution execution;
    ExpectInvalid(
        client_->executions->RetryExecution(&context, v1::RetryExecutionRequest(), &execution),
        "id");
  }
  v1::PublishEventResponse response;
  v1::Event event = BaseEvent("");
  ExpectInvalid(client_->Publish(event, &response), "event.id");
  event = BaseEvent("empty-ticket");
  event.mutable_ticket()->set_id("");
  ExpectInvalid(client_->Publish(event, &response), "event.ticket.id");
  ExpectUnchanged();
}

}  // namespace
TEST_F(MalformedInputTest, AMessageThatDoesNotParseFailsAloneInAStream) {
  auto event = [](const std::string& id) {
    v1::PublishEventRequest request;
    *request.mutable_event() = BaseEvent(id);
    return request.SerializeAsString();
  };
  v1::PublishEventRequest bad;
  *bad.mutable_event() = BaseEvent("stream-bad");
  bad.mutable_event()->mutable_ticket()->set_subject("PLACEHOLDER!");
  std::string bad_bytes = bad.SerializeAsString();
  bad_bytes.replace(bad_bytes.find("PLACEHOLDER!"), 12, "\xff\xfe\xc3\x28 bad! \xa0\xa1");

  std::vector<v1::PublishEventsResponse> acks;
  const grpc::Status status = RawStream({event("stream-1"), bad_bytes, event("stream-2")}, &acks);
  EXPECT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(acks.size(), 3u);
  EXPECT_EQ(acks[0].event_id(), "stream-1");
  EXPECT_TRUE(acks[0].has_result()) << acks[0].error().message();
  EXPECT_EQ(acks[1].event_id(), "");
  EXPECT_EQ(acks[1].error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(acks[1].error().message(), ::testing::HasSubstr("cannot parse"));
  EXPECT_EQ(acks[2].event_id(), "stream-2");
  EXPECT_TRUE(acks[2].has_result()) << acks[2].error().message();
}

}  // namespace triggerfish
