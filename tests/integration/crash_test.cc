// kill -9 in the middle of concurrent publishing loses nothing that was
// acknowledged: every acknowledged event, its executions and its deferred
// action exist exactly once after a restart, and the deferred side effects
// happen (at least once, always with the same operation id).

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/execution_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::FromJson;
using testing::ServerProcess;

TEST(CrashTest, KillNineDuringConcurrentPublishingLosesNothingAcknowledged) {
  const std::string config = "/tmp/triggerfish-crash-config-" + std::to_string(getpid()) + ".yaml";
  {
    std::ofstream out(config);
    out << "plugin_dirs: [\"" << TRIGGERFISH_BUNDLED_PLUGIN_DIR << "\", \""
        << TRIGGERFISH_RECORDER_PLUGIN_DIR << "\"]\n"
        << "outbox: {threads: 2, base_backoff_ms: 20, max_backoff_ms: 100}\n";
  }
  ServerProcess server({"--config", config});
  ASSERT_TRUE(server.Start()) << server.log();
  const std::string side_effects = server.dir() + "/side-effects.log";
  {
    auto rules = v1::RuleService::NewStub(server.Channel());
    grpc::ClientContext context;
    v1::CreateRuleRequest request;
    request.set_rule_id("record");
    *request.mutable_rule() = FromJson<v1::Rule>(
        R"({"name": "record", "trigger": {"event_types": ["ticket.created"]},
            "actions": [{"type": "ticket.add_tags", "params": {"tags": ["seen"]}},
                        {"type": "recorder.append", "params": {"file": ")" +
        side_effects + R"("}}]})");
    v1::Rule rule;
    ASSERT_TRUE(rules->CreateRule(&context, request, &rule).ok());
  }

  constexpr int kThreads = 6;
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::vector<std::thread> publishers;
  // Each publisher's channel (connection) is made before they start:
  // Channel() reads the server's pid, which Kill() below writes while they
  // still run.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int t = 0; t < kThreads; ++t) channels.push_back(server.Channel());
  for (int t = 0; t < kThreads; ++t) {
    publishers.emplace_back([&, t] {
      auto stub = v1::EventService::NewStub(channels[t]);
      for (int n = 0; !stop; ++n) {
        const std::string id = "e-" + std::to_string(t) + "-" + std::to_string(n);
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        v1::PublishEventRequest request;
        *request.mutable_event() = FromJson<v1::Event>(
            R"({"id": ")" + id + R"(", "type": "ticket.created", "ticket": {"id": "T-)" +
            std::to_string(t) + "-" + std::to_string(n) + R"("}})");
        v1::PublishEventResponse response;
        if (!stub->PublishEvent(&context, request, &response).ok()) return;  // server died
        std::lock_guard lock(mu);
        acknowledged.push_back(id);
      }
    });
  }
  // Let the load run, then kill the server mid-flight: after 300
  // acknowledged events or 2 s, but not before more than 20 (which a
  // sanitizer build takes longer to reach; up to 30 s).
  for (int i = 0; i < 3000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::lock_guard lock(mu);
    if (acknowledged.size() >= 300 || (i >= 200 && acknowledged.size() > 20)) break;
  }
  server.Kill();
  stop = true;
  for (auto& p : publishers) p.join();
  ASSERT_GT(acknowledged.size(), 20u) << "the load did not get going";
  RecordProperty("acknowledged_before_kill", static_cast<int>(acknowledged.size()));

  ASSERT_TRUE(server.Start()) << server.log();
  auto events = v1::EventService::NewStub(server.Channel());
  auto executions = v1::ExecutionService::NewStub(server.Channel());
  std::set<std::string> deferred_ids;
  for (const auto& id : acknowledged) {
    // The event is stored: publishing it again is a duplicate.
    grpc::ClientContext context;
    v1::PublishEventRequest request;
    *request.mutable_event() = FromJson<v1::Event>(
        R"({"id": ")" + id + R"(", "type": "ticket.created", "ticket": {"id": "other"}})");
    v1::PublishEventResponse response;
    ASSERT_TRUE(events->PublishEvent(&context, request, &response).ok());
    ASSERT_TRUE(response.duplicate()) << id << " was acknowledged but is lost";
    // Its two executions exist exactly once.
    grpc::ClientContext list_context;
    v1::ListExecutionsRequest list;
    list.set_event_id(id);
    v1::ListExecutionsResponse listed;
    ASSERT_TRUE(executions->ListExecutions(&list_context, list, &listed).ok());
    ASSERT_EQ(listed.executions_size(), 2) << id;
    for (const auto& x : listed.executions()) {
      if (x.mode() == v1::ACTION_MODE_DEFERRED) deferred_ids.insert(x.id());
    }
  }
  EXPECT_EQ(deferred_ids.size(), acknowledged.size());

  // Every deferred action of an acknowledged event runs, also those that
  // were queued or running when the server was killed.
  auto all_done = [&] {
    std::ifstream in(side_effects);
    std::set<std::string> operations;
    for (std::string line; std::getline(in, line);) {
      operations.insert(line.substr(0, line.find(' ')));
    }
    for (const auto& id : acknowledged) {
      if (!operations.contains("default/" + id + "/record/1")) return false;
    }
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!all_done() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(all_done()) << "a deferred action of an acknowledged event never ran";
  std::remove(config.c_str());
}

}  // namespace
}  // namespace triggerfish
