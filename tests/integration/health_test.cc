// grpc.health.v1 as load balancers, probes and gRPC clients use it: Check
// and Watch for the server as a whole (service ""), unknown service names,
// and many watchers through a drain.

#include <signal.h>

#include <chrono>
#include <thread>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"

namespace triggerfish {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using testing::ServerProcess;

TEST(HealthTest, CheckAnswersForTheServerAndRefusesUnknownServices) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  auto health = Health::NewStub(server.Channel());
  {
    grpc::ClientContext context;
    HealthCheckRequest request;
    HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, request, &response).ok());
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  }
  grpc::ClientContext context;
  HealthCheckRequest request;
  request.set_service("no.such.Service");
  HealthCheckResponse response;
  EXPECT_EQ(health->Check(&context, request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST(HealthTest, WatchOfAnUnknownServiceSaysSo) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  auto health = Health::NewStub(server.Channel());
  grpc::ClientContext context;
  HealthCheckRequest request;
  request.set_service("no.such.Service");
  auto watch = health->Watch(&context, request);
  HealthCheckResponse response;
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVICE_UNKNOWN);
  context.TryCancel();
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST(HealthTest, EveryWatcherSeesTheDrainAndNoneHoldsIt) {
  ServerProcess server({"--shutdown-grace-ms", "20000"});
  ASSERT_TRUE(server.Start()) << server.log();
  constexpr int kWatchers = 8;
  struct Watcher {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> stream;
  };
  std::vector<std::unique_ptr<Watcher>> watchers;
  std::vector<std::unique_ptr<Health::Stub>> stubs;
  for (int i = 0; i < kWatchers; ++i) {
    // Half on one connection, half on connections of their own.
    stubs.push_back(Health::NewStub(server.Channel()));
    auto watcher = std::make_unique<Watcher>();
    HealthCheckRequest request;
    watcher->stream = stubs[i % 2 == 0 ? 0 : i]->Watch(&watcher->context, request);
    HealthCheckResponse response;
    ASSERT_TRUE(watcher->stream->Read(&response));
    ASSERT_EQ(response.status(), HealthCheckResponse::SERVING);
    watchers.push_back(std::move(watcher));
  }
  // One watcher goes away before the drain.
  watchers.back()->context.TryCancel();
  EXPECT_EQ(watchers.back()->stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  watchers.pop_back();

  const auto sigterm = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(server.pid(), SIGTERM), 0);
  for (auto& watcher : watchers) {
    HealthCheckResponse response;
    ASSERT_TRUE(watcher->stream->Read(&response));
    EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
    EXPECT_FALSE(watcher->stream->Read(&response));
    EXPECT_EQ(watcher->stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  EXPECT_EQ(server.Stop(), 0) << server.log();
  EXPECT_LT(std::chrono::steady_clock::now() - sigterm, std::chrono::seconds(5));
}

}  // namespace
}  // namespace triggerfish
