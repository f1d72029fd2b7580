// Tenant isolation in the real triggerfishd: two tenants, acme and globex,
// each with a token holding every role. Tenant B can never read, list,
// update, delete, evaluate against, retry or be assigned tenant A's rules,
// tickets, agents, executions, plugin state or timers; the same ids in both
// tenants stay independent.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/test_client.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/server_process.h"
#include "tests/testing/tokens.h"
#include "triggerfish/v1/agent_service.grpc.pb.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/execution_service.grpc.pb.h"
#include "triggerfish/v1/plugin_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"
#include "triggerfish/v1/ticket_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::BundledAndRecorderPluginDirs;
using testing::Eventually;
using testing::FromJson;
using testing::ServerProcess;
using testing::Sha256Hex;
using testing::WriteConfig;

constexpr char kAcme[] = "acme-token-3c9d27e1";
constexpr char kGlobex[] = "globex-token-8a41f605";

// A client context carrying `token`.
class Call {
 public:
  explicit Call(const std::string& token) {
    testing::AddBearer(&context_, token);
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
  grpc::ClientContext* operator&() { return &context_; }

 private:
  grpc::ClientContext context_;
};

class TenantIsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string config = WriteConfig(
        BundledAndRecorderPluginDirs() + "timer_poll_ms: 50\n" + "automation_interval_ms: 100\n" +
        "outbox: {threads: 1, max_attempts: 1, base_backoff_ms: 20, max_backoff_ms: 50, "
        "action_timeout_ms: 2000}\n" +
        "auth:\n  enabled: true\n  tokens:\n" + "    - {name: acme, sha256: \"" + Sha256Hex(kAcme) +
        "\", tenant: acme, roles: [admin, publisher, reader]}\n" +
        "    - {name: globex, sha256: \"" + Sha256Hex(kGlobex) +
        "\", tenant: globex, roles: [admin, publisher, reader]}\n");
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{"--config", config});
    ASSERT_TRUE(server_->Start()) << server_->log();
    auto channel = server_->Channel();
    rules_ = v1::RuleService::NewStub(channel);
    events_ = v1::EventService::NewStub(channel);
    tickets_ = v1::TicketService::NewStub(channel);
    executions_ = v1::ExecutionService::NewStub(channel);
    agents_ = v1::AgentService::NewStub(channel);
    plugins_ = v1::PluginService::NewStub(channel);
  }

  grpc::Status CreateRule(const std::string& token, const std::string& id, const std::string& json,
                          const std::string& request_id = "") {
    Call call(token);
    v1::CreateRuleRequest request;
    request.set_rule_id(id);
    request.set_request_id(request_id);
    *request.mutable_rule() = FromJson<v1::Rule>(json);
    v1::Rule rule;
    return rules_->CreateRule(&call, request, &rule);
  }

  grpc::Status GetRule(const std::string& token, const std::string& id, v1::Rule* rule) {
    Call call(token);
    v1::GetRuleRequest request;
    request.set_id(id);
    return rules_->GetRule(&call, request, rule);
  }

  std::set<std::string> RuleIds(const std::string& token) {
    Call call(token);
    v1::ListRulesResponse response;
    EXPECT_TRUE(rules_->ListRules(&call, {}, &response).ok());
    std::set<std::string> ids;
    for (const auto& rule : response.rules()) ids.insert(rule.id());
    return ids;
  }

  v1::PublishEventResponse Publish(const std::string& token, const std::string& event_json) {
    Call call(token);
    v1::PublishEventRequest request;
    *request.mutable_event() = FromJson<v1::Event>(event_json);
    v1::PublishEventResponse response;
    auto status = events_->PublishEvent(&call, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::Status GetTicket(const std::string& token, const std::string& id,
                         v1::TicketRecord* record) {
    Call call(token);
    v1::GetTicketRequest request;
    request.set_id(id);
    return tickets_->GetTicket(&call, request, record);
  }

  std::vector<std::string> Tags(const std::string& token, const std::string& ticket) {
    v1::TicketRecord record;
    if (!GetTicket(token, ticket, &record).ok()) return {"<no ticket>"};
    return {record.ticket().tags().begin(), record.ticket().tags().end()};
  }

  std::vector<v1::Execution> Executions(const std::string& token) {
    Call call(token);
    v1::ListExecutionsResponse response;
    EXPECT_TRUE(executions_->ListExecutions(&call, {}, &response).ok());
    return {response.executions().begin(), response.executions().end()};
  }

  grpc::Status PutAgent(const std::string& token, const std::string& json) {
    Call call(token);
    v1::CreateAgentRequest request;
    *request.mutable_agent() = FromJson<v1::Agent>(json);
    v1::Agent agent;
    return agents_->CreateAgent(&call, request, &agent);
  }

  grpc::Status GetAgent(const std::string& token, const std::string& id, v1::Agent* agent) {
    Call call(token);
    v1::GetAgentRequest request;
    request.set_id(id);
    return agents_->GetAgent(&call, request, agent);
  }

  std::vector<std::pair<std::string, std::string>> PluginState(const std::string& token,
                                                               const std::string& plugin) {
    Call call(token);
    v1::ListPluginStateRequest request;
    request.set_plugin(plugin);
    v1::ListPluginStateResponse response;
    auto status = plugins_->ListPluginState(&call, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& e : response.entries()) out.emplace_back(e.key(), e.value());
    return out;
  }

  static std::string TagRule(const std::string& tag) {
    return R"({"name": "tag", "trigger": {"event_types": ["ticket.created"]},
               "actions": [{"type": "ticket.add_tags", "params": {"tags": [")" +
           tag + R"("]}}]})";
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::RuleService::Stub> rules_;
  std::unique_ptr<v1::EventService::Stub> events_;
  std::unique_ptr<v1::TicketService::Stub> tickets_;
  std::unique_ptr<v1::ExecutionService::Stub> executions_;
  std::unique_ptr<v1::AgentService::Stub> agents_;
  std::unique_ptr<v1::PluginService::Stub> plugins_;
};

TEST_F(TenantIsolationTest, RulesWithTheSameIdAreIndependentAndOthersAreNotFound) {
  ASSERT_TRUE(CreateRule(kAcme, "r1", TagRule("acme")).ok());
  ASSERT_TRUE(CreateRule(kGlobex, "r1", TagRule("globex")).ok());
  ASSERT_TRUE(CreateRule(kAcme, "only-acme", TagRule("secret"), "req-1").ok());
  // The same request_id in another tenant is another request.
  ASSERT_TRUE(CreateRule(kGlobex, "r2", TagRule("globex-2"), "req-1").ok());

  v1::Rule rule;
  EXPECT_EQ(GetRule(kGlobex, "only-acme", &rule).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(RuleIds(kAcme), (std::set<std::string>{"only-acme", "r1"}));
  EXPECT_EQ(RuleIds(kGlobex), (std::set<std::string>{"r1", "r2"}));
  ASSERT_TRUE(GetRule(kGlobex, "r1", &rule).ok());
  EXPECT_NE(rule.DebugString().find("globex"), std::string::npos);

  {
    Call call(kGlobex);
    v1::UpdateRuleRequest request;
    request.mutable_rule()->set_id("only-acme");
    request.mutable_rule()->set_name("taken over");
    request.mutable_update_mask()->add_paths("name");
    EXPECT_EQ(rules_->UpdateRule(&call, request, &rule).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {
    Call call(kGlobex);
    v1::DeleteRuleRequest request;
    request.set_id("only-acme");
    google::protobuf::Empty empty;
    EXPECT_EQ(rules_->DeleteRule(&call, request, &empty).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  // Changing and deleting globex's r1 leaves acme's r1 alone.
  {
    Call call(kGlobex);
    v1::UpdateRuleRequest request;
    request.mutable_rule()->set_id("r1");
    request.mutable_rule()->set_name("renamed by globex");
    request.mutable_update_mask()->add_paths("name");
    ASSERT_TRUE(rules_->UpdateRule(&call, request, &rule).ok());
  }
  ASSERT_TRUE(GetRule(kAcme, "r1", &rule).ok());
  EXPECT_EQ(rule.name(), "tag");
  {
    Call call(kGlobex);
    v1::DeleteRuleRequest request;
    request.set_id("r1");
    google::protobuf::Empty empty;
    ASSERT_TRUE(rules_->DeleteRule(&call, request, &empty).ok());
  }
  EXPECT_TRUE(GetRule(kAcme, "r1", &rule).ok());
  EXPECT_EQ(GetRule(kAcme, "only-acme", &rule).error_code(), grpc::StatusCode::OK);
}

TEST_F(TenantIsolationTest, TheSameEventIdIsEvaluatedInEachTenantAgainstItsOwnRules) {
  ASSERT_TRUE(CreateRule(kAcme, "r1", TagRule("acme")).ok());
  ASSERT_TRUE(CreateRule(kAcme, "acme-extra", TagRule("acme-extra")).ok());
  ASSERT_TRUE(CreateRule(kGlobex, "r1", TagRule("globex")).ok());
  const std::string event = R"({"id": "e1", "type": "ticket.created", "ticket": {"id": "T1"}})";

  const auto acme = Publish(kAcme, event);
  const auto globex = Publish(kGlobex, event);
  EXPECT_FALSE(acme.duplicate());
  EXPECT_FALSE(globex.duplicate());
  ASSERT_EQ(globex.fired_rules_size(), 1);
  EXPECT_EQ(globex.fired_rules(0).rule_id(), "r1");
  EXPECT_EQ(acme.fired_rules_size(), 2);
  // A second publish is a duplicate only in its own tenant.
  EXPECT_TRUE(Publish(kAcme, event).duplicate());

  EXPECT_EQ(Tags(kAcme, "T1"), (std::vector<std::string>{"acme-extra", "acme"}));
  EXPECT_EQ(Tags(kGlobex, "T1"), (std::vector<std::string>{"globex"}));

  Publish(kAcme, R"({"id": "e2", "type": "ticket.created", "ticket": {"id": "acme-only"}})");
  v1::TicketRecord record;
  EXPECT_EQ(GetTicket(kGlobex, "acme-only", &record).error_code(), grpc::StatusCode::NOT_FOUND);
  {
    Call call(kGlobex);
    v1::ListTicketsResponse response;
    ASSERT_TRUE(tickets_->ListTickets(&call, {}, &response).ok());
    ASSERT_EQ(response.tickets_size(), 1);
    EXPECT_EQ(response.tickets(0).ticket().id(), "T1");
  }

  // A dry run evaluates the caller's stored rules only.
  Call call(kGlobex);
  v1::EvaluateEventRequest request;
  *request.mutable_event() = FromJson<v1::Event>(event);
  v1::EvaluateEventResponse response;
  ASSERT_TRUE(events_->EvaluateEvent(&call, request, &response).ok());
  std::set<std::string> explained;
  for (const auto& e : response.explanations()) explained.insert(e.rule_id());
  EXPECT_EQ(explained, (std::set<std::string>{"r1"}));
  ASSERT_EQ(response.fired_rules_size(), 1);
  EXPECT_EQ(response.ticket().tags(0), "globex");
}

// Plugins deduplicate side effects in systems the tenants share (an SMTP
// server, a ticketing API) by operation id: the same action of the same
// event id in two tenants must not look like one retried operation.
TEST_F(TenantIsolationTest, TheSameActionOfTheSameEventIdHasADistinctOperationIdPerTenant) {
  const std::string file = server_->dir() + "/side-effects.log";
  const std::string rule = R"({"name": "record", "trigger": {"event_types": ["ticket.created"]},
                               "actions": [{"type": "recorder.append",
                                            "params": {"file": ")" +
                           file + R"("}}]})";
  ASSERT_TRUE(CreateRule(kAcme, "record", rule).ok());
  ASSERT_TRUE(CreateRule(kGlobex, "record", rule).ok());
  const std::string event = R"({"id": "e1", "type": "ticket.created", "ticket": {"id": "T1"}})";
  Publish(kAcme, event);
  Publish(kGlobex, event);

  // The recorder writes "<operation id> <attempt> ..." per call.
  std::set<std::string> seen;
  ASSERT_TRUE(Eventually([&] {
    std::ifstream in(file);
    seen.clear();
    for (std::string line; std::getline(in, line);) seen.insert(line.substr(0, line.find(' ')));
    return seen.size() == 2;
  })) << server_->log();
  EXPECT_EQ(seen, (std::set<std::string>{"acme/e1/record/0", "globex/e1/record/0"}));
  // The id each tenant reads on its execution is the one its plugin call got.
  for (const auto& [token, tenant] : {std::pair{kAcme, "acme"}, std::pair{kGlobex, "globex"}}) {
    const std::vector<v1::Execution> executions = Executions(token);
    ASSERT_EQ(executions.size(), 1u) << tenant;
    EXPECT_EQ(executions[0].operation_id(), std::string(tenant) + "/e1/record/0");
  }
}

TEST_F(TenantIsolationTest, ExecutionsCannotBeReadOrRetriedFromAnotherTenant) {
  const std::string file = server_->dir() + "/side-effects.log";
  ASSERT_TRUE(CreateRule(kAcme, "broken",
                         R"({"name": "broken", "trigger": {"event_types": ["ticket.created"]},
                             "actions": [{"type": "recorder.append",
                                          "params": {"file": ")" +
                             file + R"(", "permanent": true}}]})")
                  .ok());
  Publish(kAcme, R"({"id": "e1", "type": "ticket.created", "ticket": {"id": "T1"}})");
  std::string dead_id;
  ASSERT_TRUE(Eventually([&] {
    for (const auto& x : Executions(kAcme)) {
      if (x.status() == v1::EXECUTION_STATUS_DEAD) dead_id = x.id();
    }
    return !dead_id.empty();
  })) << server_->log();

  EXPECT_TRUE(Executions(kGlobex).empty());
  {
    Call call(kGlobex);
    v1::GetExecutionRequest request;
    request.set_id(dead_id);
    v1::Execution execution;
    EXPECT_EQ(executions_->GetExecution(&call, request, &execution).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    Call call(kGlobex);
    v1::RetryExecutionRequest request;
    request.set_id(dead_id);
    v1::Execution execution;
    EXPECT_EQ(executions_->RetryExecution(&call, request, &execution).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    // Filters do not widen the view either.
    Call call(kGlobex);
    v1::ListExecutionsRequest request;
    request.set_rule_id("broken");
    request.set_ticket_id("T1");
    v1::ListExecutionsResponse response;
    ASSERT_TRUE(executions_->ListExecutions(&call, request, &response).ok());
    EXPECT_EQ(response.executions_size(), 0);
  }
  // Still dead, and acme itself can retry it.
  Call call(kAcme);
  v1::RetryExecutionRequest request;
  request.set_id(dead_id);
  v1::Execution execution;
  ASSERT_TRUE(executions_->RetryExecution(&call, request, &execution).ok());
  EXPECT_EQ(execution.status(), v1::EXECUTION_STATUS_QUEUED);
}

TEST_F(TenantIsolationTest, AgentsAreNeitherVisibleNorAssignableAcrossTenants) {
  ASSERT_TRUE(PutAgent(kAcme, R"({"id": "a1", "name": "Acme One", "groups": ["desk"],
                                  "available": true})")
                  .ok());
  ASSERT_TRUE(PutAgent(kGlobex, R"({"id": "a1", "name": "Globex One", "groups": ["other"],
                                    "available": true})")
                  .ok());
  ASSERT_TRUE(
      PutAgent(kAcme, R"({"id": "acme-only", "groups": ["desk"], "available": true})").ok());
  v1::Agent agent;
  ASSERT_TRUE(GetAgent(kGlobex, "a1", &agent).ok());
  EXPECT_EQ(agent.name(), "Globex One");
  ASSERT_TRUE(GetAgent(kAcme, "a1", &agent).ok());
  EXPECT_EQ(agent.name(), "Acme One");
  EXPECT_EQ(GetAgent(kGlobex, "acme-only", &agent).error_code(), grpc::StatusCode::NOT_FOUND);
  {
    Call call(kGlobex);
    v1::ListAgentsResponse response;
    ASSERT_TRUE(agents_->ListAgents(&call, {}, &response).ok());
    ASSERT_EQ(response.agents_size(), 1);
    EXPECT_EQ(response.agents(0).name(), "Globex One");
  }
  {
    Call call(kGlobex);
    v1::UpdateAgentRequest request;
    request.mutable_agent()->set_id("acme-only");
    request.mutable_agent()->set_available(false);
    request.mutable_update_mask()->add_paths("available");
    EXPECT_EQ(agents_->UpdateAgent(&call, request, &agent).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    Call call(kGlobex);
    v1::UpsertAgentRequest request;
    *request.mutable_agent() = FromJson<v1::Agent>(R"({"id": "a1", "name": "Globex Again"})");
    ASSERT_TRUE(agents_->UpsertAgent(&call, request, &agent).ok());
  }
  ASSERT_TRUE(GetAgent(kAcme, "a1", &agent).ok());
  EXPECT_EQ(agent.name(), "Acme One");
  {
    Call call(kGlobex);
    v1::DeleteAgentRequest request;
    request.set_id("acme-only");
    google::protobuf::Empty empty;
    EXPECT_EQ(agents_->DeleteAgent(&call, request, &empty).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }

  // Both route group "desk" round robin; only acme has agents in it.
  const std::string route = R"({"name": "route", "trigger": {"event_types": ["ticket.created"]},
      "actions": [{"type": "assign.round_robin",
                   "params": {"group": "desk", "fallback_tag": "unrouted"}}]})";
  ASSERT_TRUE(CreateRule(kAcme, "route", route).ok());
  ASSERT_TRUE(CreateRule(kGlobex, "route", route).ok());
  for (int i = 0; i < 3; ++i) {
    const std::string id = "e" + std::to_string(i);
    const std::string json = R"({"id": ")" + id +
                             R"(", "type": "ticket.created", "ticket": {"id": "T)" +
                             std::to_string(i) + R"("}})";
    const auto globex = Publish(kGlobex, json);
    EXPECT_EQ(globex.ticket_patch().assignee_id(), "") << i;
    EXPECT_EQ(Tags(kGlobex, "T" + std::to_string(i)), (std::vector<std::string>{"unrouted"}));
    const auto acme = Publish(kAcme, json);
    EXPECT_TRUE(acme.ticket_patch().assignee_id() == "a1" ||
                acme.ticket_patch().assignee_id() == "acme-only")
        << acme.DebugString();
  }
  // The round-robin cursor is acme's plugin state; globex has none.
  EXPECT_EQ(PluginState(kAcme, "assign").size(), 1u);
  EXPECT_TRUE(PluginState(kGlobex, "assign").empty());

  // Open ticket counts count the agent's own tenant only: a globex ticket
  // "assigned" to acme-only by the helpdesk does not load acme's agent.
  Publish(
      kGlobex,
      R"({"id": "x1", "type": "ticket.updated", "ticket": {"id": "X1", "assignee_id": "acme-only",
              "status": "TICKET_STATUS_OPEN"}})");
  int acme_open = 0;
  for (const std::string id : {"a1", "acme-only"}) {
    ASSERT_TRUE(GetAgent(kAcme, id, &agent).ok());
    acme_open += agent.open_tickets();
  }
  EXPECT_EQ(acme_open, 3);
}

// Both tenants publish at once from several threads each. Each tenant's
// events run one at a time (its round-robin cursor advances exactly once
// per event, so the agents get exactly equal shares) while the two tenants'
// cycles run side by side on the cycle workers.
TEST_F(TenantIsolationTest, ConcurrentTenantsEachSeeTheirOwnEventsOneAtATime) {
  constexpr int kThreads = 4;
  constexpr int kEventsPerThread = 30;
  const std::string route = R"({"name": "route", "trigger": {"event_types": ["ticket.created"]},
      "actions": [{"type": "assign.round_robin", "params": {"group": "desk"}}]})";
  for (const std::string token : {kAcme, kGlobex}) {
    for (const std::string agent : {"x", "y", "z"}) {
      ASSERT_TRUE(
          PutAgent(token, R"({"id": ")" + agent + R"(", "groups": ["desk"], "available": true})")
              .ok());
    }
    ASSERT_TRUE(CreateRule(token, "route", route).ok());
  }
  std::map<std::string, std::map<std::string, int>> assigned;  // token -> agent -> events
  std::mutex mu;
  std::vector<std::thread> threads;
  for (const std::string token : {kAcme, kGlobex}) {
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, token, t] {
        for (int n = 0; n < kEventsPerThread; ++n) {
          const std::string id = std::to_string(t) + "-" + std::to_string(n);
          const auto response = Publish(
              token, R"({"id": "e)" + id + R"(", "type": "ticket.created", "ticket": {"id": "T)" +
                         id + R"("}})");
          std::lock_guard lock(mu);
          ++assigned[token][response.ticket_patch().assignee_id()];
        }
      });
    }
  }
  for (auto& thread : threads) thread.join();
  const int share = kThreads * kEventsPerThread / 3;
  const std::map<std::string, int> even = {{"x", share}, {"y", share}, {"z", share}};
  EXPECT_EQ(assigned[kAcme], even);
  EXPECT_EQ(assigned[kGlobex], even);
}

TEST_F(TenantIsolationTest, PluginStateTimersAndAutomationsStayInTheirTenant) {
  for (const auto& [token, tenant] : {std::pair{kAcme, "acme"}, std::pair{kGlobex, "globex"}}) {
    ASSERT_TRUE(CreateRule(token, "remind",
                           R"({"name": "remind", "trigger": {"event_types": ["ticket.created"]},
        "actions": [{"type": "recorder.schedule",
                     "params": {"key": "nudge", "in_ms": 200, "event_type": "reminder.due"}},
                    {"type": "recorder.count", "params": {"key": "n"}}]})")
                    .ok());
    ASSERT_TRUE(CreateRule(token, "on-reminder",
                           R"({"name": "on reminder", "trigger": {"event_types": ["reminder.due"]},
        "actions": [{"type": "ticket.add_tags", "params": {"tags": [")" +
                               std::string(tenant) + R"(-nudged"]}}]})")
                    .ok());
  }
  const std::string event = R"({"id": "c1", "type": "ticket.created", "ticket": {"id": "T1"}})";
  const auto acme = Publish(kAcme, event);
  const auto globex = Publish(kGlobex, event);
  // Each tenant's counter starts from zero: the same key is two keys.
  EXPECT_EQ(acme.ticket_patch().custom_fields().at("count_n").number_value(), 1);
  EXPECT_EQ(globex.ticket_patch().custom_fields().at("count_n").number_value(), 1);
  // (The same ticket again: the timer key is per tenant, not per ticket.)
  Publish(kAcme, R"({"id": "c2", "type": "ticket.created", "ticket": {"id": "T1"}})");
  // The automation comes after both helpdesk events: a tick between them
  // would tag c1's snapshot, which c2's (without the tag) then replaces,
  // while the rule stays latched for the ticket.
  ASSERT_TRUE(CreateRule(kAcme, "auto",
                         R"({"name": "auto", "trigger": {"event_types": ["schedule.tick"]},
      "actions": [{"type": "ticket.add_tags", "params": {"tags": ["acme-auto"]}}]})")
                  .ok());

  // Both timers (same plugin, same key) fire, each in its own tenant.
  auto has = [](const std::vector<std::string>& tags, const std::string& tag) {
    return std::find(tags.begin(), tags.end(), tag) != tags.end();
  };
  ASSERT_TRUE(Eventually([&] {
    return has(Tags(kAcme, "T1"), "acme-nudged") && has(Tags(kGlobex, "T1"), "globex-nudged") &&
           has(Tags(kAcme, "T1"), "acme-auto");
  })) << ::testing::PrintToString(Tags(kAcme, "T1"))
      << ::testing::PrintToString(Tags(kGlobex, "T1"));
  // Give globex's ticket time for any automation tick to reach it too.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Tags(kGlobex, "T1"), (std::vector<std::string>{"globex-nudged"}));
  EXPECT_FALSE(has(Tags(kAcme, "T1"), "globex-nudged"));

  // Plugin state: acme counted two events, globex one, under the same key.
  auto value_of = [](const std::vector<std::pair<std::string, std::string>>& entries,
                     const std::string& key) {
    for (const auto& [k, v] : entries) {
      if (k == key) return v;
    }
    return std::string("<absent>");
  };
  EXPECT_EQ(value_of(PluginState(kAcme, "recorder"), "n"), "2");
  EXPECT_EQ(value_of(PluginState(kGlobex, "recorder"), "n"), "1");
}

}  // namespace
}  // namespace triggerfish
