// Actions from plugins in the real triggerfishd: the bundled ticket plugin
// (and, in example_plugin_server_test.cc, a plugin built out of tree).

#include <fstream>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/grpc_status.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/plugin_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::FieldViolations;
using testing::FromJson;
using testing::ServerProcess;

class PluginActionsTest : public ::testing::Test {
 protected:
  void StartWith(std::vector<std::string> args) {
    server_ = std::make_unique<ServerProcess>(std::move(args));
    ASSERT_TRUE(server_->Start()) << server_->log();
    rules_ = v1::RuleService::NewStub(server_->Channel());
    events_ = v1::EventService::NewStub(server_->Channel());
    plugins_ = v1::PluginService::NewStub(server_->Channel());
  }

  grpc::Status CreateRule(const std::string& id, const std::string& json) {
    grpc::ClientContext context;
    v1::CreateRuleRequest request;
    request.set_rule_id(id);
    *request.mutable_rule() = FromJson<v1::Rule>(json);
    v1::Rule rule;
    return rules_->CreateRule(&context, request, &rule);
  }

  v1::EvaluateEventResponse Evaluate(const std::string& event_json) {
    grpc::ClientContext context;
    v1::EvaluateEventRequest request;
    *request.mutable_event() = FromJson<v1::Event>(event_json);
    v1::EvaluateEventResponse response;
    auto status = events_->EvaluateEvent(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::RuleService::Stub> rules_;
  std::unique_ptr<v1::EventService::Stub> events_;
  std::unique_ptr<v1::PluginService::Stub> plugins_;
};

TEST_F(PluginActionsTest, ListsTheBundledPluginAndItsActionSchemas) {
  StartWith({});
  grpc::ClientContext context;
  v1::ListPluginsResponse plugins;
  ASSERT_TRUE(plugins_->ListPlugins(&context, {}, &plugins).ok());
  std::set<std::string> names;
  for (const auto& plugin : plugins.plugins()) {
    names.insert(plugin.name());
    EXPECT_EQ(plugin.abi_version(), "1.0");
  }
  EXPECT_EQ(names, (std::set<std::string>{"assign", "email", "sla", "ticket"}));

  grpc::ClientContext actions_context;
  v1::ListActionsRequest request;
  request.set_plugin("ticket");
  v1::ListActionsResponse actions;
  ASSERT_TRUE(plugins_->ListActions(&actions_context, request, &actions).ok());
  std::vector<std::string> types;
  for (const auto& a : actions.actions()) {
    types.push_back(a.type());
    EXPECT_EQ(a.mode(), v1::ACTION_MODE_INLINE);
    EXPECT_TRUE(a.params_schema().fields().contains("properties")) << a.type();
  }
  EXPECT_EQ(types, (std::vector<std::string>{"ticket.add_tags", "ticket.remove_tags",
                                             "ticket.set_custom_field", "ticket.set_fields"}));

  grpc::ClientContext missing_context;
  request.set_plugin("nosuch");
  EXPECT_EQ(plugins_->ListActions(&missing_context, request, &actions).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(PluginActionsTest, ActionParamsAreValidatedAgainstTheirSchemaWithPaths) {
  StartWith({});
  auto status = CreateRule("bad", R"({"name": "bad", "trigger": {"event_types": ["ticket.created"]},
    "actions": [
      {"type": "ticket.set_fields", "params": {"priority": "extreme"}},
      {"type": "ticket.add_tags", "params": {"tags": ["ok", 7]}},
      {"type": "ticket.set_custom_field", "params": {"value": 1}},
      {"type": "ticket.explode"}
    ]})");
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto violations = FieldViolations(status);
  EXPECT_TRUE(violations.contains("rule.actions[0].params.priority")) << status.error_message();
  EXPECT_TRUE(violations.contains("rule.actions[1].params.tags[1]")) << status.error_message();
  EXPECT_TRUE(violations.contains("rule.actions[2].params.key")) << status.error_message();
  EXPECT_TRUE(violations.contains("rule.actions[3].type")) << status.error_message();
}

TEST_F(PluginActionsTest, SampleRulesPatchTheTicketAndRestartTheCycle) {
  const std::string examples = std::string(TRIGGERFISH_SOURCE_DIR) + "/examples";
  StartWith({"--config", examples + "/triggerfish.yaml", "--seed-rules",
             examples + "/rules/sample.yaml"});
  auto fired_ids = [](const v1::EvaluateEventResponse& response) {
    std::vector<std::string> ids;
    for (const auto& fired : response.fired_rules()) {
      ids.push_back(fired.rule_id());
      for (const auto& action : fired.actions()) {
        EXPECT_NE(action.status(), v1::ACTION_STATUS_FAILED)
            << action.type() << ": " << action.message();
      }
    }
    return ids;
  };
  auto response = Evaluate(R"({"id": "e1", "type": "ticket.created",
    "occurred_at": "2026-03-02T10:00:00Z",
    "ticket": {"id": "T9", "subject": "Checkout is DOWN for everyone", "channel": "email",
               "priority": "TICKET_PRIORITY_NORMAL", "custom_fields": {"plan": "gold"},
               "requester": {"email": "pat@example.org", "name": "Pat"}}})");
  // The outage rule makes it urgent; the VIP rule then routes it to the VIP
  // desk, so the generic routing rule (assignee absent) no longer holds; the
  // SLA starts and the requester is acknowledged (deferred).
  EXPECT_EQ(fired_ids(response),
            (std::vector<std::string>{"urgent-outage", "vip-email", "start-sla", "acknowledge"}));
  EXPECT_EQ(response.ticket_patch().priority(), v1::TICKET_PRIORITY_URGENT);
  EXPECT_EQ(response.ticket_patch().type(), "incident");
  EXPECT_EQ(response.ticket_patch().assignee_id(), "cho");
  EXPECT_EQ(response.fired_rules(3).actions(0).status(), v1::ACTION_STATUS_QUEUED);

  // Without the outage words or the plan, tier 1 takes it by round robin.
  response = Evaluate(R"({"id": "e2", "type": "ticket.created",
    "ticket": {"id": "T10", "subject": "Invoice question", "channel": "web",
               "priority": "TICKET_PRIORITY_LOW"}})");
  EXPECT_EQ(fired_ids(response), (std::vector<std::string>{"route-new", "start-sla"}));
  EXPECT_EQ(response.ticket_patch().assignee_id(), "ana");
}

TEST_F(PluginActionsTest, ARuleMadeTrueByALaterRulesPatchFiresInTheNextPass) {
  StartWith({});
  ASSERT_TRUE(CreateRule("escalated", R"({"name": "escalated", "position": 1,
    "trigger": {"event_types": ["ticket.created"]},
    "condition": {"predicate": {"field": "ticket.tags", "operator": "includes_any", "value": ["angry"]}},
    "actions": [{"type": "ticket.set_fields", "params": {"priority": "high"}}]})")
                  .ok());
  ASSERT_TRUE(CreateRule("sentiment", R"({"name": "sentiment", "position": 2,
    "trigger": {"event_types": ["ticket.created"]},
    "condition": {"predicate": {"field": "ticket.description", "operator": "matches",
                                "value": "(?i)unacceptable|furious"}},
    "actions": [{"type": "ticket.add_tags", "params": {"tags": ["angry"]}}]})")
                  .ok());
  auto response = Evaluate(R"({"id": "e1", "type": "ticket.created",
    "ticket": {"id": "T1", "description": "This is UNACCEPTABLE"}})");
  ASSERT_EQ(response.fired_rules_size(), 2);
  EXPECT_EQ(response.fired_rules(0).rule_id(), "sentiment");
  EXPECT_EQ(response.fired_rules(0).pass(), 1);
  EXPECT_EQ(response.fired_rules(1).rule_id(), "escalated");
  EXPECT_EQ(response.fired_rules(1).pass(), 2);
  EXPECT_EQ(response.passes(), 3);
  EXPECT_EQ(response.ticket_patch().priority(), v1::TICKET_PRIORITY_HIGH);
}

TEST_F(PluginActionsTest, ServerRefusesToStartWithABrokenPluginUnlessToldToSkipIt) {
  const std::string fixtures = TRIGGERFISH_FIXTURE_PLUGIN_DIR;
  ServerProcess refusing({"--plugin-dir", fixtures});
  EXPECT_FALSE(refusing.Start());
  EXPECT_NE(refusing.log().find(fixtures), std::string::npos) << refusing.log();

  ServerProcess probe;
  const std::string config = probe.dir() + "/config.yaml";
  {
    std::ofstream out(config);
    out << "skip_bad_plugins: true\nplugin_dirs: [\"" << fixtures << "\"]\n";
  }
  ServerProcess skipping({"--config", config});
  ASSERT_TRUE(skipping.Start()) << skipping.log();
  EXPECT_NE(skipping.log().find("bad magic"), std::string::npos) << skipping.log();
}

}  // namespace
}  // namespace triggerfish
