#pragma once

// Assembles triggerfishd: opens the store, loads the rules, serves the gRPC
// API (with grpc.health.v1 and server reflection) until shut down.
//
//   auto server = Server::Start(config);
//   if (!server.ok()) ...;
//   (*server)->Wait();  // until Shutdown() from another thread

#include <chrono>
#include <memory>

#include "absl/status/statusor.h"
#include "server/config/config.h"

namespace grpc {
class Server;
}

namespace triggerfish::server {

namespace store {
class Store;
}
namespace rules {
class RuleManager;
}
namespace engine {
class ActionCatalog;
}
namespace api {
class Authorizer;
class RuleService;
class EventService;
class PluginService;
class HealthService;
}  // namespace api
namespace plugins {
class PluginHost;
}
namespace actions {
class PluginStateCache;
struct HostServices;
class AgentCache;
}  // namespace actions
namespace events {
class GroupCommitter;
class EventPipeline;
}  // namespace events
namespace jobs {
class OutboxWorkers;
class TimerScheduler;
class AutomationScheduler;
}  // namespace jobs
namespace observability {
class Metrics;
class AdminServer;
}  // namespace observability
namespace api {
class TicketService;
class ExecutionService;
class AgentService;
}  // namespace api

class Server {
 public:
  // Starts serving; health is SERVING when this returns OK.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerConfig& config);
  ~Server();

  // The port the gRPC server listens on (useful with port 0).
  int port() const { return port_; }
  // The port of the admin HTTP server (/metrics); 0 when it is disabled.
  int admin_port() const;

  // Health turns NOT_SERVING, in-flight calls get until `grace` to finish,
  // then the rest are cancelled. Idempotent.
  void Shutdown(std::chrono::milliseconds grace);
  // Blocks until the server has shut down.
  void Wait();

  // Group commit figures: transactions and events committed so far.
  int64_t commit_batches() const;
  int64_t committed_events() const;

 private:
  Server();

  // First member: everything below records into it.
  std::unique_ptr<observability::Metrics> metrics_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<actions::PluginStateCache> state_cache_;
  std::unique_ptr<actions::AgentCache> agent_cache_;
  std::unique_ptr<actions::HostServices> host_services_;
  std::unique_ptr<plugins::PluginHost> plugin_host_;
  std::unique_ptr<engine::ActionCatalog> catalog_;
  std::unique_ptr<rules::RuleManager> rules_;
  std::unique_ptr<events::GroupCommitter> committer_;
  std::unique_ptr<jobs::OutboxWorkers> outbox_;
  std::unique_ptr<events::EventPipeline> pipeline_;
  std::unique_ptr<jobs::TimerScheduler> timers_;
  std::unique_ptr<jobs::AutomationScheduler> automations_;
  std::unique_ptr<api::Authorizer> authorizer_;
  std::unique_ptr<api::RuleService> rule_service_;
  std::unique_ptr<api::EventService> event_service_;
  std::unique_ptr<api::PluginService> plugin_service_;
  std::unique_ptr<api::TicketService> ticket_service_;
  std::unique_ptr<api::ExecutionService> execution_service_;
  std::unique_ptr<api::AgentService> agent_service_;
  // Outlives grpc_server_: Watch reactors refer to it until the server ends.
  std::unique_ptr<api::HealthService> health_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  // Last member: scrapes read the store, so it stops first.
  std::unique_ptr<observability::AdminServer> admin_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace triggerfish::server
