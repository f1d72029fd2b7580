// Assignment through the real server: the bundled assign plugin reading the
// AgentService directory and keeping its round-robin cursor in durable
// plugin state.

#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/agent_service.grpc.pb.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::FromJson;
using testing::ServerProcess;

class AssignmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    auto agents = v1::AgentService::NewStub(server_.Channel());
    for (int i = 1; i <= 5; ++i) {
      grpc::ClientContext context;
      v1::UpsertAgentRequest request;
      *request.mutable_agent() = FromJson<v1::Agent>(
          R"({"id": "a)" + std::to_string(i) + R"(", "groups": ["tier1"], "available": true})");
      v1::Agent agent;
      ASSERT_TRUE(agents->UpsertAgent(&context, request, &agent).ok());
    }
  }

  void CreateRule(const std::string& json) {
    auto rules = v1::RuleService::NewStub(server_.Channel());
    grpc::ClientContext context;
    v1::CreateRuleRequest request;
    *request.mutable_rule() = FromJson<v1::Rule>(json);
    v1::Rule rule;
    auto status = rules->CreateRule(&context, request, &rule);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  v1::PublishEventResponse Publish(v1::EventService::Stub* stub, const std::string& id) {
    grpc::ClientContext context;
    v1::PublishEventRequest request;
    *request.mutable_event() = FromJson<v1::Event>(
        R"({"id": ")" + id + R"(", "type": "ticket.created", "ticket": {"id": "T-)" + id +
        R"(", "status": "TICKET_STATUS_NEW"}})");
    v1::PublishEventResponse response;
    auto status = stub->PublishEvent(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  ServerProcess server_;
};

TEST_F(AssignmentTest, RoundRobinSplitsConcurrentTicketsExactlyEvenly) {
  CreateRule(R"({"name": "route", "trigger": {"event_types": ["ticket.created"]},
    "actions": [{"type": "assign.round_robin", "params": {"group": "tier1"}}]})");
  std::mutex mu;
  std::map<std::string, int> per_agent;
  std::vector<std::thread> publishers;
  for (int t = 0; t < 8; ++t) {
    publishers.emplace_back([&, t] {
      auto stub = v1::EventService::NewStub(server_.Channel());
      for (int n = 0; n < 125; ++n) {
        auto response = Publish(stub.get(), "e" + std::to_string(t) + "-" + std::to_string(n));
        std::lock_guard lock(mu);
        ++per_agent[response.ticket_patch().assignee_id()];
      }
    });
  }
  for (auto& p : publishers) p.join();
  EXPECT_EQ(per_agent, (std::map<std::string, int>{
                           {"a1", 200}, {"a2", 200}, {"a3", 200}, {"a4", 200}, {"a5", 200}}));

  // The directory counts the snapshots: 200 open tickets each.
  auto agents = v1::AgentService::NewStub(server_.Channel());
  grpc::ClientContext context;
  v1::ListAgentsResponse listed;
  ASSERT_TRUE(agents->ListAgents(&context, {}, &listed).ok());
  for (const auto& agent : listed.agents()) EXPECT_EQ(agent.open_tickets(), 200) << agent.id();
}

TEST_F(AssignmentTest, UnavailableAgentsStopReceivingTicketsAndTheCursorSurvivesRestart) {
  CreateRule(R"({"name": "route", "trigger": {"event_types": ["ticket.created"]},
    "actions": [{"type": "assign.round_robin",
                 "params": {"group": "tier1", "fallback_tag": "unrouted"}}]})");
  auto events = v1::EventService::NewStub(server_.Channel());
  EXPECT_EQ(Publish(events.get(), "1").ticket_patch().assignee_id(), "a1");
  EXPECT_EQ(Publish(events.get(), "2").ticket_patch().assignee_id(), "a2");

  auto agents = v1::AgentService::NewStub(server_.Channel());
  {
    grpc::ClientContext context;
    v1::UpdateAgentRequest update;
    update.mutable_agent()->set_id("a3");
    update.mutable_agent()->set_available(false);
    update.mutable_update_mask()->add_paths("available");
    v1::Agent agent;
    ASSERT_TRUE(agents->UpdateAgent(&context, update, &agent).ok());
  }
  EXPECT_EQ(Publish(events.get(), "3").ticket_patch().assignee_id(), "a4");

  ASSERT_TRUE(server_.Restart()) << server_.log();
  events = v1::EventService::NewStub(server_.Channel());
  EXPECT_EQ(Publish(events.get(), "4").ticket_patch().assignee_id(), "a5");
  EXPECT_EQ(Publish(events.get(), "5").ticket_patch().assignee_id(), "a1");

  // Nobody available: unassigned, tagged, and the execution says why.
  agents = v1::AgentService::NewStub(server_.Channel());
  for (int i = 1; i <= 5; ++i) {
    grpc::ClientContext context;
    v1::UpdateAgentRequest update;
    update.mutable_agent()->set_id("a" + std::to_string(i));
    update.mutable_agent()->set_available(false);
    update.mutable_update_mask()->add_paths("available");
    v1::Agent agent;
    ASSERT_TRUE(agents->UpdateAgent(&context, update, &agent).ok());
  }
  auto response = Publish(events.get(), "6");
  EXPECT_FALSE(response.ticket_patch().has_assignee_id());
  ASSERT_EQ(response.ticket_patch().add_tags_size(), 1);
  EXPECT_EQ(response.ticket_patch().add_tags(0), "unrouted");
  const auto& output = response.fired_rules(0).actions(0).output().struct_value().fields();
  EXPECT_NE(output.at("reason").string_value().find("no available agent"), std::string::npos);
}

}  // namespace
}  // namespace triggerfish
