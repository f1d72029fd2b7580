// The admin HTTP server of the real triggerfishd: /metrics scraped over
// HTTP after gRPC calls, events and actions, with the counters checked per
// label set.

#include <fstream>
#include <string>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/integration/test_client.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/metrics_scrape.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/execution_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::BundledAndRecorderPluginDirs;
using testing::FromJson;
using testing::HttpGet;
using testing::MetricsText;
using testing::ServerProcess;
using testing::WriteConfig;

const std::map<std::string, std::string> kPublishEvent = {
    {"service", "triggerfish.v1.EventService"}, {"method", "PublishEvent"}};

std::map<std::string, std::string> With(std::map<std::string, std::string> labels,
                                        const std::string& key, const std::string& value) {
  labels[key] = value;
  return labels;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string config = WriteConfig(
        BundledAndRecorderPluginDirs() +
        "outbox: {threads: 1, max_attempts: 2, base_backoff_ms: 10, max_backoff_ms: 20}\n");
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{"--config", config});
    ASSERT_TRUE(server_->Start()) << server_->log();
    ASSERT_GT(server_->admin_port(), 0) << server_->log();
    rules_ = v1::RuleService::NewStub(server_->Channel());
    events_ = v1::EventService::NewStub(server_->Channel());
    executions_ = v1::ExecutionService::NewStub(server_->Channel());
  }

  MetricsText Scrape() {
    auto response =
        HttpGet("http://127.0.0.1:" + std::to_string(server_->admin_port()) + "/metrics");
    EXPECT_EQ(response.status, 200) << response.error;
    return MetricsText(response.body);
  }

  double Value(const MetricsText& metrics, const std::string& name,
               const std::map<std::string, std::string>& labels = {}) {
    return metrics.Value(name, labels).value_or(-1);
  }

  void CreateRule(const std::string& id, const std::string& json) {
    auto status = testing::Client(server_->Channel()).CreateRule(id, json);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  grpc::Status Publish(const std::string& event_json, v1::PublishEventResponse* response) {
    return testing::Client(server_->Channel()).Publish(event_json, response);
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::RuleService::Stub> rules_;
  std::unique_ptr<v1::EventService::Stub> events_;
  std::unique_ptr<v1::ExecutionService::Stub> executions_;
};

TEST_F(MetricsTest, ServesEveryFamilyWithItsType) {
  auto response = HttpGet("http://127.0.0.1:" + std::to_string(server_->admin_port()) + "/metrics");
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_NE(response.content_type.find("text/plain"), std::string::npos) << response.content_type;
  MetricsText metrics(response.body);
  const std::map<std::string, std::string> types = {
      {"triggerfish_grpc_server_started_total", "counter"},
      {"triggerfish_grpc_server_handled_total", "counter"},
      {"triggerfish_grpc_server_handling_seconds", "histogram"},
      {"triggerfish_events_total", "counter"},
      {"triggerfish_events_dropped_by_causation_total", "counter"},
      {"triggerfish_store_commit_duration_seconds", "histogram"},
      {"triggerfish_store_commit_batch_events", "histogram"},
      {"triggerfish_outbox_depth", "gauge"},
      {"triggerfish_timers_due", "gauge"},
      {"triggerfish_timers_scheduled", "gauge"},
  };
  for (const auto& [name, type] : types) EXPECT_EQ(metrics.TypeOf(name), type) << name;
  // Families whose series appear with their first rule or action are not
  // exposed before (CountsCallsByMethodAndCode checks their types).
  EXPECT_EQ(metrics.TypeOf("triggerfish_rules_fired_total"), "");
  // Nothing published yet: the outcome series exist at zero.
  EXPECT_EQ(
      Value(metrics, "triggerfish_events_total", {{"source", "api"}, {"outcome", "committed"}}), 0);
  EXPECT_EQ(Value(metrics, "triggerfish_outbox_depth", {{"status", "queued"}}), 0);
  EXPECT_EQ(Value(metrics, "triggerfish_timers_due"), 0);
  // The harness's start-up health check went through the interceptor too.
  EXPECT_GE(Value(metrics, "triggerfish_grpc_server_handled_total",
                  {{"service", "grpc.health.v1.Health"}, {"method", "Check"}, {"code", "OK"}}),
            1);
}

TEST_F(MetricsTest, CountsCallsByMethodAndCode) {
  CreateRule("tag-email", R"({
    "name": "tag email", "trigger": {"event_types": ["ticket.created"]},
    "condition": {"predicate": {"field": "ticket.channel", "operator": "is", "value": "email"}},
    "actions": [{"type": "ticket.add_tags", "params": {"tags": ["from-email"]}}]})");
  const std::string event =
      R"({"id": "e1", "type": "ticket.created", "ticket": {"id": "T1", "channel": "email"}})";
  v1::PublishEventResponse response;
  ASSERT_TRUE(Publish(event, &response).ok());
  ASSERT_TRUE(Publish(event, &response).ok());  // duplicate
  EXPECT_TRUE(response.duplicate());
  EXPECT_EQ(Publish(R"({"id": "e2", "type": "ticket.created"})", &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // no ticket
  {
    grpc::ClientContext context;
    v1::GetRuleRequest request;
    request.set_id("no-such-rule");
    v1::Rule rule;
    EXPECT_EQ(rules_->GetRule(&context, request, &rule).error_code(), grpc::StatusCode::NOT_FOUND);
  }

  MetricsText metrics = Scrape();
  EXPECT_EQ(Value(metrics, "triggerfish_grpc_server_started_total", kPublishEvent), 3);
  EXPECT_EQ(
      Value(metrics, "triggerfish_grpc_server_handled_total", With(kPublishEvent, "code", "OK")),
      2);
  EXPECT_EQ(Value(metrics, "triggerfish_grpc_server_handled_total",
                  With(kPublishEvent, "code", "INVALID_ARGUMENT")),
            1);
  EXPECT_EQ(Value(metrics, "triggerfish_grpc_server_handled_total",
                  {{"service", "triggerfish.v1.RuleService"},
                   {"method", "GetRule"},
                   {"code", "NOT_FOUND"}}),
            1);
  EXPECT_EQ(
      Value(metrics, "triggerfish_grpc_server_handled_total",
            {{"service", "triggerfish.v1.RuleService"}, {"method", "CreateRule"}, {"code", "OK"}}),
      1);
  // The latency histogram: every call in the +Inf bucket and the count.
  auto ok_publish = With(kPublishEvent, "code", "OK");
  EXPECT_EQ(Value(metrics, "triggerfish_grpc_server_handling_seconds_count", ok_publish), 2);
  EXPECT_EQ(Value(metrics, "triggerfish_grpc_server_handling_seconds_bucket",
                  With(ok_publish, "le", "+Inf")),
            2);
  EXPECT_GT(Value(metrics, "triggerfish_grpc_server_handling_seconds_sum", ok_publish), 0);

  EXPECT_EQ(metrics.TypeOf("triggerfish_rules_fired_total"), "counter");
  EXPECT_EQ(metrics.TypeOf("triggerfish_action_executions_total"), "counter");
  EXPECT_EQ(metrics.TypeOf("triggerfish_action_duration_seconds"), "histogram");
  EXPECT_EQ(
      Value(metrics, "triggerfish_events_total", {{"source", "api"}, {"outcome", "committed"}}), 1);
  EXPECT_EQ(
      Value(metrics, "triggerfish_events_total", {{"source", "api"}, {"outcome", "duplicate"}}), 1);
  EXPECT_EQ(
      Value(metrics, "triggerfish_events_total", {{"source", "api"}, {"outcome", "rejected"}}), 1);
  EXPECT_EQ(Value(metrics, "triggerfish_rules_fired_total",
                  {{"tenant", "default"}, {"rule", "tag-email"}}),
            1);
  EXPECT_EQ(Value(metrics, "triggerfish_action_executions_total",
                  {{"plugin", "ticket"}, {"action", "add_tags"}, {"status", "succeeded"}}),
            1);
  EXPECT_EQ(Value(metrics, "triggerfish_action_duration_seconds_count",
                  {{"plugin", "ticket"}, {"action", "add_tags"}, {"mode", "inline"}}),
            1);
  EXPECT_EQ(Value(metrics, "triggerfish_store_commit_batch_events_sum"), 1);
  EXPECT_EQ(Value(metrics, "triggerfish_store_commit_duration_seconds_count"), 1);
}

TEST_F(MetricsTest, CountsDeferredAttemptsAndTheOutbox) {
  const std::string file = server_->dir() + "/side-effects.log";
  // Fails once (retryable), then succeeds: two attempts.
  CreateRule("append", R"({
    "name": "append", "trigger": {"event_types": ["ticket.created"]},
    "actions": [{"type": "recorder.append", "params": {"file": ")" +
                           file + R"(", "fail_times": 1}}]})");
  v1::PublishEventResponse response;
  ASSERT_TRUE(
      Publish(R"({"id": "e1", "type": "ticket.created", "ticket": {"id": "T1"}})", &response).ok());
  ASSERT_EQ(response.deferred_execution_ids_size(), 1);

  const std::map<std::string, std::string> append = {{"plugin", "recorder"}, {"action", "append"}};
  MetricsText metrics("");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    metrics = Scrape();
    if (Value(metrics, "triggerfish_action_executions_total",
              With(append, "status", "succeeded")) == 1) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(Value(metrics, "triggerfish_action_executions_total", With(append, "status", "queued")),
            1);
  EXPECT_EQ(
      Value(metrics, "triggerfish_action_executions_total", With(append, "status", "retrying")), 1);
  EXPECT_EQ(
      Value(metrics, "triggerfish_action_executions_total", With(append, "status", "succeeded")),
      1);
  EXPECT_EQ(
      Value(metrics, "triggerfish_action_duration_seconds_count", With(append, "mode", "deferred")),
      2);
  EXPECT_EQ(Value(metrics, "triggerfish_outbox_depth", {{"status", "queued"}}), 0);
  EXPECT_EQ(Value(metrics, "triggerfish_outbox_depth", {{"status", "running"}}), 0);
}

TEST_F(MetricsTest, GaugesShowTheBacklog) {
  // A timer an hour away: scheduled, not due. A deferred action that sleeps
  // long enough to be seen running.
  const std::string file = server_->dir() + "/side-effects.log";
  CreateRule("backlog", R"({
    "name": "backlog", "trigger": {"event_types": ["ticket.created"]},
    "actions": [
      {"type": "recorder.schedule",
       "params": {"key": "later", "in_ms": 3600000, "event_type": "recorder.later"}},
      {"type": "recorder.append", "params": {"file": ")" +
                            file + R"(", "sleep_ms": 3000}}]})");
  v1::PublishEventResponse response;
  ASSERT_TRUE(
      Publish(R"({"id": "e1", "type": "ticket.created", "ticket": {"id": "T1"}})", &response).ok());
  MetricsText metrics("");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    metrics = Scrape();
    if (Value(metrics, "triggerfish_outbox_depth", {{"status", "running"}}) == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(Value(metrics, "triggerfish_outbox_depth", {{"status", "running"}}), 1);
  EXPECT_EQ(Value(metrics, "triggerfish_timers_scheduled"), 1);
  EXPECT_EQ(Value(metrics, "triggerfish_timers_due"), 0);
}

TEST(AdminServerTest, DisabledWithAnEmptyAddress) {
  ServerProcess server({"--admin-listen", ""});
  ASSERT_TRUE(server.Start()) << server.log();
  EXPECT_EQ(server.admin_port(), 0) << server.log();
}

TEST(AdminServerTest, APortInUseStopsTheStart) {
  ServerProcess first;
  ASSERT_TRUE(first.Start()) << first.log();
  ServerProcess second({"--admin-listen", "127.0.0.1:" + std::to_string(first.admin_port())});
  EXPECT_FALSE(second.Start());
  EXPECT_NE(second.log().find("admin HTTP"), std::string::npos) << second.log();
}

}  // namespace
}  // namespace triggerfish
