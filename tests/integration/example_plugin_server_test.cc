// The out-of-tree example plugin (sdk/examples/escalate), built against the
// installed SDK by the sdk.example ctest fixture, loaded into the real server
// and run through a rule.

#include <string>

#include "gtest/gtest.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::FromJson;
using testing::ServerProcess;

TEST(ExamplePluginServerTest, EscalateBumpPriorityRunsThroughARule) {
  ServerProcess server({"--plugin-dir", TRIGGERFISH_BUNDLED_PLUGIN_DIR, "--plugin-dir",
                        TRIGGERFISH_EXAMPLE_PLUGIN_DIR});
  ASSERT_TRUE(server.Start()) << server.log();
  auto rules = v1::RuleService::NewStub(server.Channel());
  {
    grpc::ClientContext context;
    v1::CreateRuleRequest request;
    request.set_rule_id("bump");
    *request.mutable_rule() = FromJson<v1::Rule>(R"({"name": "bump on reopen",
      "trigger": {"event_types": ["ticket.updated"]},
      "condition": {"predicate": {"field": "ticket.status", "operator": "changed_from",
                                  "value": "solved"}},
      "actions": [{"type": "escalate.bump_priority", "params": {"steps": 2, "max": "urgent"}}]})");
    v1::Rule rule;
    auto status = rules->CreateRule(&context, request, &rule);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  auto events = v1::EventService::NewStub(server.Channel());
  grpc::ClientContext context;
  auto request = FromJson<v1::EvaluateEventRequest>(R"({"event": {"id": "e1",
    "type": "ticket.updated",
    "ticket": {"id": "T1", "status": "TICKET_STATUS_OPEN", "priority": "TICKET_PRIORITY_LOW"},
    "previous": {"id": "T1", "status": "TICKET_STATUS_SOLVED", "priority": "TICKET_PRIORITY_LOW"}}})");
  v1::EvaluateEventResponse response;
  ASSERT_TRUE(events->EvaluateEvent(&context, request, &response).ok());
  ASSERT_EQ(response.fired_rules_size(), 1);
  EXPECT_EQ(response.fired_rules(0).actions(0).status(), v1::ACTION_STATUS_SUCCEEDED)
      << response.fired_rules(0).actions(0).message();
  EXPECT_EQ(response.ticket_patch().priority(), v1::TICKET_PRIORITY_HIGH);  // low + 2
}

}  // namespace
}  // namespace triggerfish
