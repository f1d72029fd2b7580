// W3C trace ids and JSON logs in the real triggerfishd: the trace id of a
// call's `traceparent` comes back on the event's response, its ticket
// snapshot and its executions (also those of timers it scheduled), and the
// JSON log lines of the call and of its deferred attempts carry it.

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/test_client.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/execution_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"
#include "triggerfish/v1/ticket_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::BundledAndRecorderPluginDirs;
using testing::Eventually;
using testing::FromJson;
using testing::ServerProcess;
using testing::WriteConfig;

constexpr char kTraceId[] = "0af7651916cd43dd8448eb211c80319c";
constexpr char kTraceparent[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

class TraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string config =
        WriteConfig(BundledAndRecorderPluginDirs() + "log_format: json\n" + "timer_poll_ms: 50\n" +
                    "outbox: {threads: 1, max_attempts: 1}\n");
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{"--config", config});
    ASSERT_TRUE(server_->Start()) << server_->log();
    rules_ = v1::RuleService::NewStub(server_->Channel());
    events_ = v1::EventService::NewStub(server_->Channel());
    tickets_ = v1::TicketService::NewStub(server_->Channel());
    executions_ = v1::ExecutionService::NewStub(server_->Channel());
  }

  void CreateRule(const std::string& id, const std::string& json) {
    auto status = testing::Client(server_->Channel()).CreateRule(id, json);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // Publishes with `traceparent` metadata unless it is empty.
  v1::PublishEventResponse Publish(const std::string& event_json, const std::string& traceparent) {
    grpc::ClientContext context;
    if (!traceparent.empty()) context.AddMetadata("traceparent", traceparent);
    v1::PublishEventRequest request;
    *request.mutable_event() = FromJson<v1::Event>(event_json);
    v1::PublishEventResponse response;
    auto status = events_->PublishEvent(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  std::vector<v1::Execution> ExecutionsOfTicket(const std::string& ticket_id) {
    grpc::ClientContext context;
    v1::ListExecutionsRequest request;
    request.set_ticket_id(ticket_id);
    v1::ListExecutionsResponse response;
    auto status = executions_->ListExecutions(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.executions().begin(), response.executions().end()};
  }

  // Every line of the log, parsed; a line that is not JSON fails the test.
  std::vector<nlohmann::json> LogLines() {
    std::vector<nlohmann::json> out;
    std::istringstream lines(server_->log());
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      EXPECT_TRUE(parsed.is_object() && parsed.contains("ts") && parsed.contains("level") &&
                  parsed.contains("msg"))
          << "not a JSON log line: " << line;
      if (parsed.is_object()) out.push_back(std::move(parsed));
    }
    return out;
  }

  // Log lines whose msg contains `text`.
  std::vector<nlohmann::json> LinesWith(const std::string& text) {
    std::vector<nlohmann::json> out;
    for (auto& line : LogLines()) {
      if (line["msg"].get<std::string>().find(text) != std::string::npos) out.push_back(line);
    }
    return out;
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::RuleService::Stub> rules_;
  std::unique_ptr<v1::EventService::Stub> events_;
  std::unique_ptr<v1::TicketService::Stub> tickets_;
  std::unique_ptr<v1::ExecutionService::Stub> executions_;
};

TEST_F(TraceTest, TheTraceIdComesBackOnTheEventTicketAndExecutions) {
  CreateRule("tag", R"({
    "name": "tag", "trigger": {"event_types": ["ticket.created"]},
    "actions": [{"type": "ticket.add_tags", "params": {"tags": ["seen"]}}]})");
  auto response =
      Publish(R"({"id": "e1", "type": "ticket.created", "ticket": {"id": "T1"}})", kTraceparent);
  EXPECT_EQ(response.trace_id(), kTraceId);

  grpc::ClientContext context;
  v1::GetTicketRequest request;
  request.set_id("T1");
  v1::TicketRecord ticket;
  ASSERT_TRUE(tickets_->GetTicket(&context, request, &ticket).ok());
  EXPECT_EQ(ticket.last_event_trace_id(), kTraceId);

  auto executions = ExecutionsOfTicket("T1");
  ASSERT_EQ(executions.size(), 1u);
  EXPECT_EQ(executions[0].trace_id(), kTraceId);
  grpc::ClientContext get_context;
  v1::GetExecutionRequest get;
  get.set_id(executions[0].id());
  v1::Execution execution;
  ASSERT_TRUE(executions_->GetExecution(&get_context, get, &execution).ok());
  EXPECT_EQ(execution.trace_id(), kTraceId);

  // A duplicate under another trace returns the first publication's.
  auto duplicate = Publish(R"({"id": "e1", "type": "ticket.created", "ticket": {"id": "T1"}})",
                           "00-11111111111111111111111111111111-2222222222222222-01");
  EXPECT_TRUE(duplicate.duplicate());
  EXPECT_EQ(duplicate.trace_id(), kTraceId);
}

TEST_F(TraceTest, NoOrAnInvalidTraceparentMeansNoTraceId) {
  // trace_id is output only: a client's value is ignored.
  auto response = Publish(
      R"({"id": "e1", "type": "ticket.created", "ticket": {"id": "T1"},
          "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"})",
      "");
  EXPECT_EQ(response.trace_id(), "");
  // All-zero trace id: invalid per the spec, ignored.
  response = Publish(R"({"id": "e2", "type": "ticket.created", "ticket": {"id": "T1"}})",
                     "00-00000000000000000000000000000000-b7ad6b7169203331-01");
  EXPECT_EQ(response.trace_id(), "");
  for (const auto& line : LinesWith("rpc /triggerfish.v1.EventService/PublishEvent")) {
    EXPECT_FALSE(line.contains("trace_id")) << line.dump();
  }
}

TEST_F(TraceTest, JsonLogLinesCarryTheTraceId) {
  auto response =
      Publish(R"({"id": "e1", "type": "ticket.created", "ticket": {"id": "T1"}})", kTraceparent);
  ASSERT_EQ(response.event_id(), "e1");
  // The call's own debug line: method, code and duration, with the trace id.
  std::vector<nlohmann::json> lines;
  ASSERT_TRUE(Eventually([&] {
    lines = LinesWith("rpc /triggerfish.v1.EventService/PublishEvent code=OK duration_ms=");
    return !lines.empty();
  })) << server_->log();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["level"], "debug");
  EXPECT_EQ(lines[0]["trace_id"], kTraceId);

  // A failed call whose code is the server's business is a warning with the
  // same trace id; the caller's own mistakes stay at debug.
  grpc::ClientContext context;
  context.AddMetadata("traceparent", kTraceparent);
  v1::GetRuleRequest request;
  request.set_id("missing");
  v1::Rule rule;
  EXPECT_EQ(rules_->GetRule(&context, request, &rule).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Eventually([&] {
    lines = LinesWith("rpc /triggerfish.v1.RuleService/GetRule code=NOT_FOUND");
    return !lines.empty();
  }));
  EXPECT_EQ(lines[0]["level"], "debug");
  EXPECT_EQ(lines[0]["trace_id"], kTraceId);
}

TEST_F(TraceTest, DeferredAttemptsAndTimerEventsKeepTheTraceId) {
  const std::string file = server_->dir() + "/side-effects.log";
  // The event queues a deferred action that fails for good (its attempt logs
  // a warning) and schedules a timer that is already due; the timer's event
  // runs another rule.
  CreateRule("start", R"({
    "name": "start", "trigger": {"event_types": ["ticket.created"]},
    "actions": [
      {"type": "recorder.append", "params": {"file": ")" +
                          file + R"(", "permanent": true}},
      {"type": "recorder.schedule",
       "params": {"key": "soon", "in_ms": -1, "event_type": "recorder.due"}}]})");
  CreateRule("on-timer", R"({
    "name": "on timer", "trigger": {"event_types": ["recorder.due"]},
    "actions": [{"type": "ticket.add_tags", "params": {"tags": ["timer-fired"]}}]})");
  Publish(R"({"id": "e1", "type": "ticket.created", "ticket": {"id": "T1"}})", kTraceparent);

  std::vector<v1::Execution> executions;
  ASSERT_TRUE(Eventually([&] {
    executions = ExecutionsOfTicket("T1");
    bool dead = false, timer = false;
    for (const auto& x : executions) {
      dead |= x.status() == v1::EXECUTION_STATUS_DEAD;
      timer |= x.rule_id() == "on-timer";
    }
    return dead && timer;
  })) << server_->log();
  ASSERT_EQ(executions.size(), 3u);
  for (const auto& x : executions) EXPECT_EQ(x.trace_id(), kTraceId) << x.rule_id();

  std::vector<nlohmann::json> dead;
  ASSERT_TRUE(Eventually([&] {
    dead = LinesWith("is dead after attempt 1");
    return !dead.empty();
  })) << server_->log();
  EXPECT_EQ(dead[0]["level"], "warning");
  EXPECT_EQ(dead[0]["trace_id"], kTraceId);
}

TEST(LogFormatTest, AnUnknownFormatIsRefused) {
  ServerProcess server({"--log-format", "yaml"});
  EXPECT_FALSE(server.Start());
  EXPECT_NE(server.log().find("unknown log format \"yaml\""), std::string::npos) << server.log();
}

}  // namespace
}  // namespace triggerfish
