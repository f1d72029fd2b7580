// SIGTERM under load: the process drains and exits 0; calls are either
// acknowledged (and then durable) or refused (UNAVAILABLE / CANCELLED, safe
// to retry), and every acknowledged event is there after a restart. Health
// turns NOT_SERVING when the drain starts, while calls in flight finish.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish {
namespace {

using grpc::health::v1::HealthCheckResponse;
using testing::FromJson;
using testing::ServerProcess;

TEST(DrainTest, SigtermUnderLoadExitsCleanlyAndLosesNothingAcknowledged) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  {
    auto rules = v1::RuleService::NewStub(server.Channel());
    grpc::ClientContext context;
    v1::CreateRuleRequest request;
    *request.mutable_rule() = FromJson<v1::Rule>(
        R"({"name": "tag", "trigger": {"event_types": ["ticket.created"]},
            "actions": [{"type": "ticket.add_tags", "params": {"tags": ["seen"]}}]})");
    v1::Rule rule;
    ASSERT_TRUE(rules->CreateRule(&context, request, &rule).ok());
  }
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::atomic<int> other_failures{0};
  std::vector<std::string> failures;
  std::atomic<bool> stop{false};
  std::vector<std::thread> publishers;
  // Each publisher's channel (connection) is made before they start:
  // Channel() reads the server's pid, which Stop() below writes while they
  // still run.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int t = 0; t < 6; ++t) channels.push_back(server.Channel());
  for (int t = 0; t < 6; ++t) {
    publishers.emplace_back([&, t] {
      auto stub = v1::EventService::NewStub(channels[t]);
      for (int n = 0; !stop; ++n) {
        const std::string id = "d-" + std::to_string(t) + "-" + std::to_string(n);
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        v1::PublishEventRequest request;
        *request.mutable_event() = FromJson<v1::Event>(
            R"({"id": ")" + id + R"(", "type": "ticket.created", "ticket": {"id": ")" + id +
            R"("}})");
        v1::PublishEventResponse response;
        const grpc::Status status = stub->PublishEvent(&context, request, &response);
        if (status.ok()) {
          std::lock_guard lock(mu);
          acknowledged.push_back(id);
        } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                   status.error_code() == grpc::StatusCode::CANCELLED) {
          // The server stopped accepting calls (refused, or received but not
          // started when the drain began): not acknowledged, safe to retry.
          return;
        } else {
          ++other_failures;
          std::lock_guard lock(mu);
          failures.push_back(std::to_string(status.error_code()) + " " + status.error_message());
          return;
        }
      }
    });
  }
  // Under load: at least 500 ms and more than 20 acknowledged events (which
  // a sanitizer build takes longer to reach) before the SIGTERM.
  const auto load_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  while (std::chrono::steady_clock::now() < load_deadline) {
    {
      std::lock_guard lock(mu);
      if (acknowledged.size() > 20u) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server.Stop(), 0) << "SIGTERM must exit cleanly\n" << server.log();
  stop = true;
  for (auto& p : publishers) p.join();
  EXPECT_EQ(other_failures, 0) << "a call failed otherwise than by being refused: "
                               << (failures.empty() ? "" : failures.front());
  ASSERT_GT(acknowledged.size(), 20u);
  EXPECT_NE(server.log().find("received signal 15"), std::string::npos);

  ASSERT_TRUE(server.Start()) << server.log();
  auto events = v1::EventService::NewStub(server.Channel());
  for (const auto& id : acknowledged) {
    grpc::ClientContext context;
    v1::PublishEventRequest request;
    *request.mutable_event() = FromJson<v1::Event>(
        R"({"id": ")" + id + R"(", "type": "ticket.created", "ticket": {"id": "x"}})");
    v1::PublishEventResponse response;
    ASSERT_TRUE(events->PublishEvent(&context, request, &response).ok());
    ASSERT_TRUE(response.duplicate()) << id << " was acknowledged before SIGTERM but is lost";
  }
}

TEST(DrainTest, HealthTurnsNotServingAtTheStartOfTheDrainWhileCallsInFlightFinish) {
  ServerProcess server({"--shutdown-grace-ms", "10000"});
  ASSERT_TRUE(server.Start()) << server.log();
  auto channel = server.Channel();

  // What a load balancer or mesh sidecar watching the server sees.
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext watch_context;
  grpc::health::v1::HealthCheckRequest watch_request;
  auto watch = health->Watch(&watch_context, watch_request);
  HealthCheckResponse status;
  ASSERT_TRUE(watch->Read(&status));
  ASSERT_EQ(status.status(), HealthCheckResponse::SERVING);

  // A call in flight when the drain starts: a PublishEvents stream.
  auto events = v1::EventService::NewStub(channel);
  grpc::ClientContext stream_context;
  auto stream = events->PublishEvents(&stream_context);
  auto publish = [&](const std::string& id) {
    v1::PublishEventRequest request;
    *request.mutable_event() = FromJson<v1::Event>(
        R"({"id": ")" + id + R"(", "type": "ticket.created", "ticket": {"id": "T1"}})");
    v1::PublishEventsResponse response;
    if (!stream->Write(request) || !stream->Read(&response)) return std::string("stream broken");
    return response.has_result() ? std::string() : response.error().message();
  };
  ASSERT_EQ(publish("before-sigterm"), "");

  const auto sigterm = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(server.pid(), SIGTERM), 0);
  ASSERT_TRUE(watch->Read(&status)) << server.log();
  EXPECT_EQ(status.status(), HealthCheckResponse::NOT_SERVING);
  EXPECT_LT(std::chrono::steady_clock::now() - sigterm, std::chrono::seconds(2));
  // Then the Watch stream ends, so that it does not hold the drain.
  EXPECT_FALSE(watch->Read(&status));
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);

  // The drain has begun, and the stream still works: its events are
  // committed and acknowledged until the client closes it.
  EXPECT_EQ(publish("during-drain-1"), "");
  EXPECT_EQ(publish("during-drain-2"), "");
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());

  EXPECT_EQ(server.Stop(), 0) << server.log();
  // Once the last call ended the server did not wait out the grace period
  // (10 s), although a health watcher had been connected.
  EXPECT_LT(std::chrono::steady_clock::now() - sigterm, std::chrono::seconds(5)) << server.log();

  ASSERT_TRUE(server.Start()) << server.log();
  auto after = v1::EventService::NewStub(server.Channel());
  for (const std::string id : {"before-sigterm", "during-drain-1", "during-drain-2"}) {
    grpc::ClientContext context;
    v1::PublishEventRequest request;
    *request.mutable_event() = FromJson<v1::Event>(
        R"({"id": ")" + id + R"(", "type": "ticket.created", "ticket": {"id": "T1"}})");
    v1::PublishEventResponse response;
    ASSERT_TRUE(after->PublishEvent(&context, request, &response).ok());
    EXPECT_TRUE(response.duplicate()) << id << " was acknowledged during the drain but is lost";
  }
}

}  // namespace
}  // namespace triggerfish
