// The durable event path against the real triggerfishd: PublishEvent(s),
// idempotency, snapshots, executions, the outbox and timers, with the
// recorder fixture plugin providing deferred actions, timers and state.

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/integration/test_client.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/grpc_status.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/execution_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"
#include "triggerfish/v1/ticket_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::BundledAndRecorderPluginDirs;
using testing::Eventually;
using testing::FieldViolations;
using testing::FileLines;
using testing::FromJson;
using testing::ServerProcess;
using testing::WriteConfig;

class PublishEventTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string config = WriteConfig(
        BundledAndRecorderPluginDirs() +
        "timer_poll_ms: 50\n"
        "automation_interval_ms: 100\n"
        "outbox: {threads: 2, max_attempts: 3, base_backoff_ms: 20, max_backoff_ms: 100, "
        "action_timeout_ms: 2000}\n");
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{"--config", config});
    ASSERT_TRUE(server_->Start()) << server_->log();
    Connect();
    side_effects_ = server_->dir() + "/side-effects.log";
  }

  void Connect() {
    rules_ = v1::RuleService::NewStub(server_->Channel());
    events_ = v1::EventService::NewStub(server_->Channel());
    tickets_ = v1::TicketService::NewStub(server_->Channel());
    executions_ = v1::ExecutionService::NewStub(server_->Channel());
  }

  void CreateRule(const std::string& id, const std::string& json) {
    auto status = testing::Client(server_->Channel()).CreateRule(id, json);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  grpc::Status Publish(const std::string& event_json, v1::PublishEventResponse* response) {
    grpc::ClientContext context;
    v1::PublishEventRequest request;
    *request.mutable_event() = FromJson<v1::Event>(event_json);
    return events_->PublishEvent(&context, request, response);
  }

  v1::PublishEventResponse MustPublish(const std::string& event_json) {
    v1::PublishEventResponse response;
    auto status = Publish(event_json, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  std::vector<v1::Execution> Executions(const v1::ListExecutionsRequest& request) {
    grpc::ClientContext context;
    v1::ListExecutionsResponse response;
    auto status = executions_->ListExecutions(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.executions().begin(), response.executions().end()};
  }

  std::vector<v1::Execution> ExecutionsOfEvent(const std::string& event_id) {
    v1::ListExecutionsRequest request;
    request.set_event_id(event_id);
    return Executions(request);
  }

  v1::Execution GetExecution(const std::string& id) {
    grpc::ClientContext context;
    v1::GetExecutionRequest request;
    request.set_id(id);
    v1::Execution execution;
    auto status = executions_->GetExecution(&context, request, &execution);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return execution;
  }

  grpc::Status GetTicket(const std::string& id, v1::TicketRecord* record) {
    grpc::ClientContext context;
    v1::GetTicketRequest request;
    request.set_id(id);
    return tickets_->GetTicket(&context, request, record);
  }

  std::string AppendRule(const std::string& extra_params = "") {
    return R"({"name": "record", "trigger": {"event_types": ["ticket.created"]},
      "actions": [{"type": "ticket.add_tags", "params": {"tags": ["seen"]}},
                  {"type": "recorder.append", "params": {"file": ")" +
           side_effects_ + "\"" + extra_params + "}}]}";
  }

  std::string side_effects_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::RuleService::Stub> rules_;
  std::unique_ptr<v1::EventService::Stub> events_;
  std::unique_ptr<v1::TicketService::Stub> tickets_;
  std::unique_ptr<v1::ExecutionService::Stub> executions_;
};

TEST_F(PublishEventTest, CommitsTheSnapshotExecutionsAndRunsDeferredActions) {
  CreateRule("record", AppendRule());
  auto response = MustPublish(R"({"id": "e1", "type": "ticket.created",
    "occurred_at": "2026-05-01T10:00:00Z", "ticket": {"id": "T1", "subject": "hi"}})");
  EXPECT_FALSE(response.duplicate());
  EXPECT_TRUE(response.snapshot_updated());
  ASSERT_EQ(response.fired_rules_size(), 1);
  EXPECT_EQ(response.fired_rules(0).actions(1).status(), v1::ACTION_STATUS_QUEUED);
  ASSERT_EQ(response.deferred_execution_ids_size(), 1);
  ASSERT_EQ(response.ticket_patch().add_tags_size(), 1);

  v1::TicketRecord record;
  ASSERT_TRUE(GetTicket("T1", &record).ok());
  EXPECT_EQ(record.ticket().tags(0), "seen");
  EXPECT_EQ(record.last_event_id(), "e1");
  EXPECT_EQ(
      std::vector<std::string>(record.fired_rule_ids().begin(), record.fired_rule_ids().end()),
      std::vector<std::string>{"record"});

  auto executions = ExecutionsOfEvent("e1");
  ASSERT_EQ(executions.size(), 2u);
  const std::string deferred_id = response.deferred_execution_ids(0);
  ASSERT_TRUE(Eventually([&] {
    return GetExecution(deferred_id).status() == v1::EXECUTION_STATUS_SUCCEEDED;
  })) << server_->log();
  v1::Execution deferred = GetExecution(deferred_id);
  EXPECT_EQ(deferred.mode(), v1::ACTION_MODE_DEFERRED);
  EXPECT_EQ(deferred.operation_id(), "default/e1/record/1");
  ASSERT_EQ(deferred.attempts_size(), 1);
  EXPECT_EQ(deferred.output().struct_value().fields().at("attempt").number_value(), 1);
  auto lines = FileLines(side_effects_);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "default/e1/record/1 1 T1 e1 -");
}

TEST_F(PublishEventTest, RetriesWithTheSameOperationIdThenDiesAndCanBeRetried) {
  CreateRule("flaky", R"({"name": "flaky", "trigger": {"event_types": ["ticket.created"]},
    "condition": {"predicate": {"field": "ticket.subject", "operator": "is", "value": "flaky"}},
    "actions": [{"type": "recorder.append", "params": {"file": ")" +
                          side_effects_ + R"(", "fail_times": 2, "tag": "flaky"}}]})");
  CreateRule("broken", R"({"name": "broken", "trigger": {"event_types": ["ticket.created"]},
    "condition": {"predicate": {"field": "ticket.subject", "operator": "is", "value": "broken"}},
    "actions": [{"type": "recorder.append", "params": {"file": ")" +
                           side_effects_ + R"(", "permanent": true, "tag": "broken"}}]})");
  auto flaky = MustPublish(
      R"({"id": "f1", "type": "ticket.created", "ticket": {"id": "T1", "subject": "flaky"}})");
  auto broken = MustPublish(
      R"({"id": "b1", "type": "ticket.created", "ticket": {"id": "T2", "subject": "broken"}})");
  const std::string flaky_id = flaky.deferred_execution_ids(0);
  const std::string broken_id = broken.deferred_execution_ids(0);

  ASSERT_TRUE(Eventually(
      [&] { return GetExecution(flaky_id).status() == v1::EXECUTION_STATUS_SUCCEEDED; }));
  v1::Execution e = GetExecution(flaky_id);
  ASSERT_EQ(e.attempts_size(), 3);  // two RETRYABLE failures, then success
  EXPECT_EQ(e.attempts(0).status(), v1::EXECUTION_STATUS_FAILED);
  EXPECT_NE(e.attempts(0).error().find("failing attempt 1 of 2"), std::string::npos);
  EXPECT_EQ(e.attempts(2).status(), v1::EXECUTION_STATUS_SUCCEEDED);

  ASSERT_TRUE(
      Eventually([&] { return GetExecution(broken_id).status() == v1::EXECUTION_STATUS_DEAD; }));
  EXPECT_EQ(GetExecution(broken_id).attempts_size(), 1) << "PERMANENT is not retried";

  int flaky_lines = 0;
  for (const auto& line : FileLines(side_effects_)) {
    if (line.ends_with(" flaky")) {
      ++flaky_lines;
      EXPECT_TRUE(line.starts_with("default/f1/flaky/0 "))
          << "same operation id on every attempt: " << line;
    }
  }
  EXPECT_EQ(flaky_lines, 3);

  // A dead execution can be queued again; a finished one cannot.
  grpc::ClientContext context;
  v1::RetryExecutionRequest retry;
  retry.set_id(broken_id);
  v1::Execution requeued;
  ASSERT_TRUE(executions_->RetryExecution(&context, retry, &requeued).ok());
  ASSERT_TRUE(Eventually([&] {
    auto x = GetExecution(broken_id);
    return x.status() == v1::EXECUTION_STATUS_DEAD && x.attempts_size() == 2;
  }));
  EXPECT_EQ(GetExecution(broken_id).attempts(1).number(), 2);
  grpc::ClientContext context2;
  retry.set_id(flaky_id);
  EXPECT_EQ(executions_->RetryExecution(&context2, retry, &requeued).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST(OutboxTimeoutTest, AnAttemptPastItsTimeoutIsAbandonedAndRetriedThenDead) {
  const std::string config =
      WriteConfig(BundledAndRecorderPluginDirs() +
                  "outbox: {threads: 1, max_attempts: 2, base_backoff_ms: 20, max_backoff_ms: 50, "
                  "action_timeout_ms: 300}\n");
  ServerProcess server({"--config", config});
  ASSERT_TRUE(server.Start()) << server.log();
  const std::string file = server.dir() + "/slow.log";
  auto rules = v1::RuleService::NewStub(server.Channel());
  {
    grpc::ClientContext context;
    v1::CreateRuleRequest request;
    *request.mutable_rule() = FromJson<v1::Rule>(
        R"({"name": "slow", "trigger": {"event_types": ["ticket.created"]},
            "actions": [{"type": "recorder.append",
                         "params": {"file": ")" +
        file + R"(", "sleep_ms": 1000}},
                        {"type": "ticket.add_tags", "params": {"tags": ["fast"]}}]})");
    v1::Rule rule;
    ASSERT_TRUE(rules->CreateRule(&context, request, &rule).ok());
  }
  auto events = v1::EventService::NewStub(server.Channel());
  v1::PublishEventResponse response;
  {
    grpc::ClientContext context;
    v1::PublishEventRequest request;
    *request.mutable_event() =
        FromJson<v1::Event>(R"({"id": "s1", "type": "ticket.created", "ticket": {"id": "T1"}})");
    ASSERT_TRUE(events->PublishEvent(&context, request, &response).ok());
  }
  // The slow action does not hold up the event or its other actions.
  EXPECT_EQ(response.ticket_patch().add_tags(0), "fast");
  auto executions = v1::ExecutionService::NewStub(server.Channel());
  v1::Execution execution;
  ASSERT_TRUE(Eventually(
      [&] {
        grpc::ClientContext context;
        v1::GetExecutionRequest request;
        request.set_id(response.deferred_execution_ids(0));
        return executions->GetExecution(&context, request, &execution).ok() &&
               execution.status() == v1::EXECUTION_STATUS_DEAD;
      },
      15))
      << server.log();
  ASSERT_EQ(execution.attempts_size(), 2);
  for (const auto& attempt : execution.attempts()) {
    EXPECT_NE(attempt.error().find("timed out after 300 ms"), std::string::npos) << attempt.error();
  }
  // The only worker was not lost: a fast deferred action still runs.
  {
    grpc::ClientContext context;
    v1::CreateRuleRequest request;
    *request.mutable_rule() = FromJson<v1::Rule>(
        R"({"name": "fast", "trigger": {"event_types": ["ticket.updated"]},
            "actions": [{"type": "recorder.append", "params": {"file": ")" +
        file + R"("}}]})");
    v1::Rule rule;
    ASSERT_TRUE(rules->CreateRule(&context, request, &rule).ok());
    grpc::ClientContext publish_context;
    v1::PublishEventRequest publish;
    *publish.mutable_event() =
        FromJson<v1::Event>(R"({"id": "u1", "type": "ticket.updated", "ticket": {"id": "T1"}})");
    ASSERT_TRUE(events->PublishEvent(&publish_context, publish, &response).ok());
  }
  ASSERT_TRUE(Eventually(
      [&] {
        grpc::ClientContext context;
        v1::GetExecutionRequest request;
        request.set_id(response.deferred_execution_ids(0));
        return executions->GetExecution(&context, request, &execution).ok() &&
               execution.status() == v1::EXECUTION_STATUS_SUCCEEDED;
      },
      15))
      << server.log();
}

TEST_F(PublishEventTest, DuplicateEventIdReturnsTheStoredResultAlsoAfterRestart) {
  CreateRule("record", AppendRule());
  auto first = MustPublish(R"({"id": "dup", "type": "ticket.created", "ticket": {"id": "T1"}})");
  auto second = MustPublish(
      R"({"id": "dup", "type": "ticket.created", "ticket": {"id": "T1", "subject": "changed"}})");
  EXPECT_TRUE(second.duplicate());
  EXPECT_EQ(second.deferred_execution_ids(0), first.deferred_execution_ids(0));
  ASSERT_TRUE(server_->Restart()) << server_->log();
  Connect();
  auto third = MustPublish(R"({"id": "dup", "type": "ticket.created", "ticket": {"id": "T1"}})");
  EXPECT_TRUE(third.duplicate());
  EXPECT_EQ(ExecutionsOfEvent("dup").size(), 2u);
  v1::TicketRecord record;
  ASSERT_TRUE(GetTicket("T1", &record).ok());
  EXPECT_EQ(record.ticket().subject(), "") << "the duplicate did not change the snapshot";
}

TEST_F(PublishEventTest, SameEventFromEightConcurrentClientsIsEvaluatedOnce) {
  CreateRule("count", R"({"name": "count", "trigger": {"event_types": ["ticket.created"]},
    "actions": [{"type": "recorder.count", "params": {"key": "created"}}]})");
  std::vector<std::thread> threads;
  std::vector<v1::PublishEventResponse> responses(8);
  std::vector<grpc::Status> statuses(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto stub = v1::EventService::NewStub(server_->Channel());
      grpc::ClientContext context;
      v1::PublishEventRequest request;
      *request.mutable_event() = FromJson<v1::Event>(
          R"({"id": "same", "type": "ticket.created", "ticket": {"id": "T1"}})");
      statuses[i] = stub->PublishEvent(&context, request, &responses[i]);
    });
  }
  for (auto& t : threads) t.join();
  int originals = 0;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    originals += !responses[i].duplicate();
    EXPECT_EQ(responses[i].ticket_patch().custom_fields().at("count_created").number_value(), 1);
  }
  EXPECT_EQ(originals, 1);
  EXPECT_EQ(ExecutionsOfEvent("same").size(), 1u);
  // The counter was incremented once: the next event sees 2.
  auto next = MustPublish(R"({"id": "next", "type": "ticket.created", "ticket": {"id": "T2"}})");
  EXPECT_EQ(next.ticket_patch().custom_fields().at("count_created").number_value(), 2);
}

TEST_F(PublishEventTest, BadEventsAreRejectedAndLeaveNoTrace) {
  CreateRule("record", AppendRule());
  v1::PublishEventResponse response;
  auto status =
      Publish(R"({"id": "", "type": "ticket.created", "ticket": {"id": "T1"}})", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(FieldViolations(status).contains("event.id"));

  grpc::ClientContext context;
  v1::PublishEventRequest request;
  *request.mutable_event() =
      FromJson<v1::Event>(R"({"id": "bad", "type": "ticket.created", "ticket": {"id": "T1"}})");
  request.mutable_event()->mutable_ticket()->set_priority(static_cast<v1::TicketPriority>(99));
  (*request.mutable_event()->mutable_ticket()->mutable_custom_fields())["x"].set_number_value(
      std::numeric_limits<double>::infinity());
  status = events_->PublishEvent(&context, request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto violations = FieldViolations(status);
  EXPECT_TRUE(violations.contains("event.ticket.priority"));
  EXPECT_TRUE(violations.contains("event.ticket.custom_fields.x"));

  // Over the event size limit (1 MiB by default), under gRPC's message limit.
  grpc::ClientContext big_context;
  v1::PublishEventRequest big;
  *big.mutable_event() =
      FromJson<v1::Event>(R"({"id": "big", "type": "ticket.created", "ticket": {"id": "T1"}})");
  big.mutable_event()->mutable_ticket()->set_description(std::string(2 << 20, 'x'));
  status = events_->PublishEvent(&big_context, big, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(FieldViolations(status)["event"].find("limits.max_event_bytes"), std::string::npos);

  v1::TicketRecord record;
  EXPECT_EQ(GetTicket("T1", &record).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Executions({}).empty());
  // The id of a rejected event is still free.
  EXPECT_FALSE(MustPublish(R"({"id": "bad", "type": "ticket.created", "ticket": {"id": "T1"}})")
                   .duplicate());
}

TEST_F(PublishEventTest, AnOlderEventDoesNotRollTheSnapshotBack) {
  MustPublish(R"({"id": "new", "type": "ticket.updated", "occurred_at": "2026-05-01T12:00:00Z",
    "ticket": {"id": "T1", "status": "TICKET_STATUS_SOLVED"}})");
  auto late = MustPublish(R"({"id": "old", "type": "ticket.updated",
    "occurred_at": "2026-05-01T11:00:00Z", "ticket": {"id": "T1", "status": "TICKET_STATUS_OPEN"}})");
  EXPECT_FALSE(late.snapshot_updated());
  v1::TicketRecord record;
  ASSERT_TRUE(GetTicket("T1", &record).ok());
  EXPECT_EQ(record.ticket().status(), v1::TICKET_STATUS_SOLVED);
  EXPECT_EQ(record.last_event_id(), "new");
}

TEST_F(PublishEventTest, TimersFireAsEventsAndStateSurvivesRestart) {
  CreateRule("remind", R"({"name": "remind", "trigger": {"event_types": ["ticket.created"]},
    "actions": [{"type": "recorder.schedule",
                 "params": {"key": "nudge", "in_ms": 200, "event_type": "reminder.due",
                            "payload": {"why": "no reply"}}},
                {"type": "recorder.count", "params": {"key": "n"}}]})");
  CreateRule("on-reminder", R"({"name": "on reminder", "trigger": {"event_types": ["reminder.due"]},
    "actions": [{"type": "ticket.add_tags", "params": {"tags": ["nudged"]}},
                {"type": "recorder.count", "params": {"key": "n"}}]})");
  MustPublish(R"({"id": "c1", "type": "ticket.created", "ticket": {"id": "T1"}})");
  v1::TicketRecord record;
  ASSERT_TRUE(Eventually([&] {
    return GetTicket("T1", &record).ok() && record.ticket().tags_size() == 1;
  })) << server_->log();
  EXPECT_EQ(record.ticket().tags(0), "nudged");
  EXPECT_TRUE(record.last_event_id().starts_with("timer/recorder/nudge/"));
  EXPECT_EQ(record.ticket().custom_fields().at("count_n").number_value(), 2);

  // A timer that comes due while the server is down fires after the restart.
  CreateRule("later", R"({"name": "later", "trigger": {"event_types": ["ticket.updated"]},
    "actions": [{"type": "recorder.schedule",
                 "params": {"key": "later", "in_ms": 700, "event_type": "reminder.due"}}]})");
  MustPublish(R"({"id": "u1", "type": "ticket.updated", "ticket": {"id": "T2"}})");
  server_->Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  ASSERT_TRUE(server_->Start()) << server_->log();
  Connect();
  ASSERT_TRUE(Eventually([&] {
    return GetTicket("T2", &record).ok() && record.ticket().tags_size() == 1;
  })) << server_->log();
  // The state counter continued from its durable value (2 from T1's events).
  EXPECT_EQ(record.ticket().custom_fields().at("count_n").number_value(), 3);
}

TEST_F(PublishEventTest, AutomationsFireOnceUntilTheirConditionStopsHolding) {
  CreateRule("high-tick", R"({"name": "high priority reminder",
    "trigger": {"event_types": ["schedule.tick"]},
    "condition": {"predicate": {"field": "ticket.priority", "operator": "is", "value": "high"}},
    "actions": [{"type": "recorder.count", "params": {"key": "tick"}}]})");
  MustPublish(R"({"id": "h1", "type": "ticket.created", "occurred_at": "2026-05-01T10:00:00Z",
    "ticket": {"id": "T1", "priority": "TICKET_PRIORITY_HIGH"}})");
  MustPublish(R"({"id": "c1", "type": "ticket.created", "occurred_at": "2026-05-01T10:00:00Z",
    "ticket": {"id": "T2", "priority": "TICKET_PRIORITY_HIGH", "status": "TICKET_STATUS_CLOSED"}})");
  v1::TicketRecord record;
  auto count = [&](const std::string& ticket) {
    if (!GetTicket(ticket, &record).ok()) return -1.0;
    auto it = record.ticket().custom_fields().find("count_tick");
    return it == record.ticket().custom_fields().end() ? 0.0 : it->second.number_value();
  };
  ASSERT_TRUE(Eventually([&] { return count("T1") == 1; })) << server_->log();
  // Many ticks later it has still fired only once, and the closed ticket never.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(count("T1"), 1);
  EXPECT_EQ(count("T2"), 0);
  // The helpdesk's event time is kept: a later helpdesk event still applies.
  EXPECT_EQ(record.last_event_time().seconds(), 1777629600);

  // The condition stops holding, then holds again: the rule fires again.
  MustPublish(R"({"id": "h2", "type": "ticket.updated", "occurred_at": "2026-05-01T11:00:00Z",
    "ticket": {"id": "T1", "priority": "TICKET_PRIORITY_LOW", "custom_fields": {"count_tick": 1}}})");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(count("T1"), 1);
  MustPublish(R"({"id": "h3", "type": "ticket.updated", "occurred_at": "2026-05-01T12:00:00Z",
    "ticket": {"id": "T1", "priority": "TICKET_PRIORITY_HIGH", "custom_fields": {"count_tick": 1}}})");
  ASSERT_TRUE(Eventually([&] { return count("T1") == 2; })) << server_->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(count("T1"), 2);
}

TEST_F(PublishEventTest, StreamAnswersEveryEventInOrderAndABadOneFailsAlone) {
  CreateRule("record", AppendRule());
  grpc::ClientContext context;
  auto stream = events_->PublishEvents(&context);
  for (int i = 0; i < 40; ++i) {
    v1::PublishEventRequest request;
    *request.mutable_event() = FromJson<v1::Event>(
        R"({"id": "s)" + std::to_string(i) + R"(", "type": "ticket.created", "ticket": {"id": ")" +
        (i == 17 ? std::string() : "T" + std::to_string(i)) + R"("}})");
    ASSERT_TRUE(stream->Write(request));
  }
  stream->WritesDone();
  v1::PublishEventsResponse response;
  int n = 0;
  while (stream->Read(&response)) {
    EXPECT_EQ(response.event_id(), "s" + std::to_string(n));
    if (n == 17) {
      EXPECT_EQ(response.error().code(), grpc::StatusCode::INVALID_ARGUMENT);
    } else {
      EXPECT_TRUE(response.has_result()) << response.error().message();
      EXPECT_EQ(response.result().fired_rules_size(), 1);
    }
    ++n;
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(n, 40);
  ASSERT_TRUE(Eventually([&] { return FileLines(side_effects_).size() == 39u; }));
}

TEST_F(PublishEventTest, AStreamWhoseClientGoesAwayLeavesTheServerServingAndLosesNothingAcked) {
  CreateRule("record", AppendRule());
  auto event = [](int i) {
    v1::PublishEventRequest request;
    *request.mutable_event() = FromJson<v1::Event>(
        R"({"id": "gone)" + std::to_string(i) +
        R"(", "type": "ticket.created", "ticket": {"id": "G)" + std::to_string(i) + R"("}})");
    return request;
  };
  std::vector<std::string> acked;
  {
    grpc::ClientContext context;
    auto stream = events_->PublishEvents(&context);
    for (int i = 0; i < 200; ++i) {
      if (!stream->Write(event(i))) break;
      if (i == 100) {
        v1::PublishEventsResponse response;
        ASSERT_TRUE(stream->Read(&response));
        acked.push_back(response.event_id());
      }
    }
    context.TryCancel();  // gone, without reading the other acknowledgements
    stream->Finish();
  }
  // Every acknowledged event is committed: publishing it again is a duplicate.
  for (const std::string& id : acked) {
    v1::PublishEventResponse response;
    const int i = std::stoi(id.substr(4));
    ASSERT_TRUE(Publish(R"({"id": ")" + id + R"(", "type": "ticket.created", "ticket": {"id": "G)" +
                            std::to_string(i) + R"("}})",
                        &response)
                    .ok());
    EXPECT_TRUE(response.duplicate()) << id;
  }
  // A new stream on the same server works.
  grpc::ClientContext context;
  auto stream = events_->PublishEvents(&context);
  ASSERT_TRUE(stream->Write(event(1000)));
  stream->WritesDone();
  v1::PublishEventsResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.event_id(), "gone1000");
  EXPECT_TRUE(response.has_result()) << response.error().message();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(PublishEventTest, ExecutionsAreListedWithFiltersAndPages) {
  CreateRule("record", AppendRule());
  for (int i = 0; i < 5; ++i) {
    MustPublish(R"({"id": "p)" + std::to_string(i) +
                R"(", "type": "ticket.created", "ticket": {"id": "T)" + std::to_string(i % 2) +
                R"("}})");
  }
  v1::ListExecutionsRequest request;
  request.set_ticket_id("T0");
  request.set_action_type("ticket.add_tags");
  EXPECT_EQ(Executions(request).size(), 3u);

  v1::ListExecutionsRequest paged;
  paged.set_page_size(4);
  std::set<std::string> ids;
  int pages = 0;
  do {
    grpc::ClientContext context;
    v1::ListExecutionsResponse response;
    ASSERT_TRUE(executions_->ListExecutions(&context, paged, &response).ok());
    for (const auto& x : response.executions()) ids.insert(x.id());
    paged.set_page_token(response.next_page_token());
    ++pages;
  } while (!paged.page_token().empty());
  EXPECT_EQ(ids.size(), 10u);
  EXPECT_EQ(pages, 3);

  grpc::ClientContext context;
  v1::ListExecutionsResponse response;
  paged.set_page_token("garbage");
  EXPECT_EQ(executions_->ListExecutions(&context, paged, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace triggerfish
