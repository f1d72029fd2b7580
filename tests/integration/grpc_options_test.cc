// The server's connection management settings (config `grpc:` keys and
// max_message_bytes) as a client sees them: connections are recycled at their
// maximum age without failing calls, the concurrent stream limit holds calls
// back per connection, and oversized messages fail with RESOURCE_EXHAUSTED.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::FromJson;
using ::testing::HasSubstr;
using testing::ServerProcess;
using HealthStub = grpc::health::v1::Health;

// A config file in a temporary directory, removed with the object.
class TempConfig {
 public:
  explicit TempConfig(const std::string& yaml) {
    char pattern[] = "/tmp/triggerfish-config-XXXXXX";
    dir_ = mkdtemp(pattern);
    std::ofstream(path()) << yaml;
  }
  ~TempConfig() { std::filesystem::remove_all(dir_); }
  std::string path() const { return dir_ + "/triggerfish.yaml"; }

 private:
  std::string dir_;
};

grpc::Status Check(HealthStub::Stub* health, std::chrono::milliseconds timeout) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  return health->Check(&context, request, &response);
}

TEST(GrpcOptionsTest, MaxConnectionAgeRecyclesConnectionsWithoutFailingCalls) {
  TempConfig config("grpc: {max_connection_age_ms: 1000, max_connection_age_grace_ms: 1000}\n");
  ServerProcess server({"--config", config.path()});
  ASSERT_TRUE(server.Start()) << server.log();
  auto channel = server.Channel();
  ASSERT_EQ(channel->GetState(false), GRPC_CHANNEL_READY);

  // Counts how often the channel's connection went away (READY -> anything):
  // each time the server sent GOAWAY at the connection's maximum age.
  std::atomic<bool> done{false};
  std::atomic<int> lost_connections{0};
  std::thread watcher([&] {
    grpc_connectivity_state state = channel->GetState(false);
    while (!done) {
      const bool changed = channel->WaitForStateChange(
          state, std::chrono::system_clock::now() + std::chrono::milliseconds(100));
      if (!changed) continue;
      if (state == GRPC_CHANNEL_READY) ++lost_connections;
      state = channel->GetState(false);
    }
  });

  auto rules = v1::RuleService::NewStub(channel);
  int calls = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(4500);
  while (std::chrono::steady_clock::now() < end) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::ListRulesRequest request;
    v1::ListRulesResponse response;
    const grpc::Status status = rules->ListRules(&context, request, &response);
    ASSERT_TRUE(status.ok()) << "call " << calls
                             << " failed across a connection's maximum age: " << status.error_code()
                             << " " << status.error_message();
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  done = true;
  watcher.join();
  EXPECT_GT(calls, 50);
  // 4.5 s at a 1 s (+-10%) maximum age: the connection was replaced about
  // four times (the watcher may miss a quick READY -> IDLE -> READY on a busy
  // machine); without the setting it would never be.
  EXPECT_GE(lost_connections, 2);
}

TEST(GrpcOptionsTest, ConnectionsLiveOnWithoutAMaximumAge) {
  TempConfig config("grpc: {max_connection_age_ms: 0}\n");
  ServerProcess server({"--config", config.path()});
  ASSERT_TRUE(server.Start()) << server.log();
  auto channel = server.Channel();
  auto health = HealthStub::NewStub(channel);
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  grpc_connectivity_state state = channel->GetState(false);
  ASSERT_EQ(state, GRPC_CHANNEL_READY);
  while (std::chrono::steady_clock::now() < end) {
    ASSERT_TRUE(Check(health.get(), std::chrono::seconds(5)).ok());
    EXPECT_FALSE(channel->WaitForStateChange(
        state, std::chrono::system_clock::now() + std::chrono::milliseconds(100)));
  }
}

// Opens a PublishEvents stream and has one event acknowledged, so that the
// stream certainly holds one of the connection's stream slots.
struct OpenStream {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<v1::PublishEventRequest, v1::PublishEventsResponse>>
      stream;

  void Open(v1::EventService::Stub* events, const std::string& id) {
    stream = events->PublishEvents(&context);
    v1::PublishEventRequest request;
    *request.mutable_event() = FromJson<v1::Event>(R"({"id": ")" + id +
                                                   R"(", "type": "ticket.created",
                                                   "ticket": {"id": "T1"}})");
    ASSERT_TRUE(stream->Write(request));
    v1::PublishEventsResponse response;
    ASSERT_TRUE(stream->Read(&response));
    ASSERT_TRUE(response.has_result()) << response.error().message();
  }
  grpc::Status Close() {
    stream->WritesDone();
    return stream->Finish();
  }
};

TEST(GrpcOptionsTest, MaxConcurrentStreamsHoldsFurtherCallsOnTheConnection) {
  TempConfig config("grpc: {max_concurrent_streams: 2}\n");
  ServerProcess server({"--config", config.path()});
  ASSERT_TRUE(server.Start()) << server.log();
  auto channel = server.Channel();
  auto events = v1::EventService::NewStub(channel);
  auto health = HealthStub::NewStub(channel);
  OpenStream first, second;
  ASSERT_NO_FATAL_FAILURE(first.Open(events.get(), "e1"));
  ASSERT_NO_FATAL_FAILURE(second.Open(events.get(), "e2"));

  // Both slots are taken: gRPC clients queue a third call until one frees
  // (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS; the server would refuse the
  // stream), so it runs into its deadline.
  const grpc::Status held = Check(health.get(), std::chrono::milliseconds(500));
  EXPECT_EQ(held.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << held.error_message();
  // The limit is per connection: another connection is not held back.
  auto other = HealthStub::NewStub(server.Channel());
  EXPECT_TRUE(Check(other.get(), std::chrono::seconds(5)).ok());

  // A queued call starts as soon as a stream ends.
  std::atomic<bool> checked{false};
  grpc::Status queued;
  std::thread caller([&] {
    queued = Check(health.get(), std::chrono::seconds(10));
    checked = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(checked);
  EXPECT_TRUE(first.Close().ok());
  caller.join();
  EXPECT_TRUE(queued.ok()) << queued.error_message();
  EXPECT_TRUE(second.Close().ok());
}

TEST(GrpcOptionsTest, OversizedMessageIsResourceExhaustedNamingTheLimit) {
  TempConfig config("max_message_bytes: 65536\n");
  ServerProcess server({"--config", config.path()});
  ASSERT_TRUE(server.Start()) << server.log();
  auto rules = v1::RuleService::NewStub(server.Channel());
  v1::CreateRuleRequest request;
  *request.mutable_rule() = FromJson<v1::Rule>(
      R"({"name": "big", "trigger": {"event_types": ["ticket.created"]},
          "actions": [{"type": "ticket.add_tags", "params": {"tags": ["x"]}}]})");
  request.mutable_rule()->set_description(std::string(100 * 1024, 'x'));
  {
    grpc::ClientContext context;
    v1::Rule rule;
    const grpc::Status status = rules->CreateRule(&context, request, &rule);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(status.error_message(), HasSubstr("65536")) << status.error_message();
  }
  // The connection is fine for calls within the limit.
  request.mutable_rule()->set_description("small");
  grpc::ClientContext context;
  v1::Rule rule;
  const grpc::Status status = rules->CreateRule(&context, request, &rule);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

}  // namespace
}  // namespace triggerfish
