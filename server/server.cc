#include "server/server.h"

#include <fstream>
#include <sstream>

#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "server/actions/host_api.h"
#include "server/actions/plugin_action_catalog.h"
#include "server/actions/unit_of_work.h"
#include "server/api/agent_service.h"
#include "server/api/auth.h"
#include "server/api/event_service.h"
#include "server/api/execution_service.h"
#include "server/api/health_service.h"
#include "server/api/malformed_request.h"
#include "server/api/plugin_service.h"
#include "server/api/rule_service.h"
#include "server/api/ticket_service.h"
#include "server/common/page_bytes.h"
#include "server/common/strings.h"
#include "server/engine/action.h"
#include "server/events/event_pipeline.h"
#include "server/events/group_committer.h"
#include "server/grpc_server_options.h"
#include "server/jobs/automation_scheduler.h"
#include "server/jobs/outbox_worker.h"
#include "server/jobs/timer_scheduler.h"
#include "server/observability/admin_server.h"
#include "server/observability/metrics.h"
#include "server/observability/rpc_interceptor.h"
#include "server/plugins/plugin_host.h"
#include "server/rules/rule_manager.h"
#include "server/store/sqlite_store.h"
#include "server/tls_credentials.h"
#include "spdlog/spdlog.h"

namespace triggerfish::server {
namespace {

// Creates the rules (and agents) of `path` (YAML: `rules: [...]`,
// `agents: [...]`) for the default tenant when it has no rules yet.
absl::Status SeedRules(const std::string& path, rules::RuleManager* rules, store::Store* store) {
  if (!rules->Snapshot(api::kDefaultTenant)->rules().empty()) {
    spdlog::info("tenant {} already has rules; {} not applied", api::kDefaultTenant, path);
    return absl::OkStatus();
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(StrCat("cannot read seed rules ", path));
  std::stringstream text;
  text << in.rdbuf();
  auto json = YamlToJson(text.str());
  if (!json.ok()) return absl::InvalidArgumentError(StrCat(path, ": ", json.status().message()));
  const nlohmann::json& list =
      json->is_object() && json->contains("rules") ? (*json)["rules"] : *json;
  if (!list.is_array())
    return absl::InvalidArgumentError(StrCat(path, ": expected a list `rules`"));
  if (json->is_object() && json->contains("agents")) {
    const nlohmann::json& agents = (*json)["agents"];
    for (size_t i = 0; i < agents.size(); ++i) {
      v1::Agent agent;
      auto parsed = google::protobuf::util::JsonStringToMessage(agents[i].dump(), &agent);
      if (!parsed.ok() || agent.id().empty()) {
        return absl::InvalidArgumentError(StrCat(path, ": agents[", i, "] is not a valid agent"));
      }
      *agent.mutable_create_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
      *agent.mutable_update_time() = agent.create_time();
      agent.set_etag("1");
      if (auto s = store->PutAgent(api::kDefaultTenant, agent, /*create_only=*/false, "");
          !s.ok()) {
        return s;
      }
    }
  }
  int created = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    v1::CreateRuleRequest request;
    auto parsed =
        google::protobuf::util::JsonStringToMessage(list[i].dump(), request.mutable_rule());
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          StrCat(path, ": rules[", i, "]: ", std::string(parsed.message())));
    }
    request.set_rule_id(request.rule().id());
    auto rule = rules->Create(api::kDefaultTenant, request);
    if (!rule.ok()) {
      return absl::InvalidArgumentError(
          StrCat(path, ": rules[", i, "]: ", rule.status().message()));
    }
    ++created;
  }
  spdlog::info("created {} rules from {}", created, path);
  return absl::OkStatus();
}

}  // namespace

Server::Server() = default;
Server::~Server() {
  Shutdown(std::chrono::milliseconds(0));
  Wait();
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerConfig& config) {
  // Debian's Abseil is built without NDEBUG, so every absl::Mutex (gRPC's
  // included) would keep a lock-order graph for deadlock detection: a cost on
  // every lock for a check that only aborts.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::unique_ptr<Server> server(new Server());
  server->metrics_ = std::make_unique<observability::Metrics>();
  observability::Metrics* metrics = server->metrics_.get();
  auto store = store::SqliteStore::Open(config.store_path);
  if (!store.ok()) return store.status();
  server->store_ = std::move(*store);
  server->state_cache_ = std::make_unique<actions::PluginStateCache>(server->store_.get());
  server->agent_cache_ = std::make_unique<actions::AgentCache>(server->store_.get());
  server->host_services_ = std::make_unique<actions::HostServices>(actions::HostServices{
      server->store_.get(), server->state_cache_.get(), server->agent_cache_.get()});

  plugins::PluginHostOptions plugin_options;
  for (const auto& dir : config.plugin_dirs.empty() ? DefaultPluginDirs() : config.plugin_dirs) {
    plugin_options.directories.emplace_back(dir);
  }
  for (const auto& [name, plugin_config] : config.plugin_configs) {
    plugin_options.configs[name] = plugin_config;
  }
  plugin_options.skip_bad_plugins = config.skip_bad_plugins;
  server->plugin_host_ =
      std::make_unique<plugins::PluginHost>(actions::ServerHostApi(), std::move(plugin_options));
  if (auto s = server->plugin_host_->LoadAll(); !s.ok()) return s;
  server->catalog_ = std::make_unique<actions::PluginActionCatalog>(
      server->plugin_host_.get(), server->host_services_.get(),
      std::chrono::milliseconds(config.inline_action_timeout_ms), config.cycle_threads, metrics);
  server->rules_ = std::make_unique<rules::RuleManager>(server->store_.get(),
                                                        server->catalog_.get(), config.limits);
  if (auto s = server->rules_->Load(); !s.ok()) return s;
  if (!config.seed_rules.empty()) {
    if (auto s = SeedRules(config.seed_rules, server->rules_.get(), server->store_.get()); !s.ok())
      return s;
  }
  server->authorizer_ = std::make_unique<api::Authorizer>(config.auth);
  if (config.auth.enabled) {
    spdlog::info("authentication is enabled: {} bearer tokens", config.auth.tokens.size());
  } else {
    spdlog::warn("authentication is disabled: every caller is tenant \"default\" with every role");
  }
  const api::Authorizer* auth = server->authorizer_.get();
  server->rule_service_ = std::make_unique<api::RuleService>(auth, server->rules_.get());
  if (auto s = server->store_->ReclaimLeases(); !s.ok()) return s;
  server->committer_ =
      std::make_unique<events::GroupCommitter>(server->store_.get(), config.commit_batch, metrics);
  jobs::OutboxOptions outbox;
  outbox.threads = config.outbox.threads;
  outbox.max_attempts = config.outbox.max_attempts;
  outbox.base_backoff = std::chrono::milliseconds(config.outbox.base_backoff_ms);
  outbox.max_backoff = std::chrono::milliseconds(config.outbox.max_backoff_ms);
  outbox.action_timeout = std::chrono::milliseconds(config.outbox.action_timeout_ms);
  outbox.lease = outbox.action_timeout * 2;
  outbox.metrics = metrics;
  server->outbox_ = std::make_unique<jobs::OutboxWorkers>(
      server->store_.get(), server->plugin_host_.get(), server->host_services_.get(), outbox);
  events::EventPipeline::Options pipeline_options;
  jobs::OutboxWorkers* workers = server->outbox_.get();
  pipeline_options.on_deferred_queued = [workers] { workers->Notify(); };
  pipeline_options.metrics = metrics;
  pipeline_options.cycle_threads = config.cycle_threads;
  pipeline_options.max_inflight_events = config.max_inflight_events;
  server->pipeline_ = std::make_unique<events::EventPipeline>(
      server->rules_.get(), server->catalog_.get(), server->host_services_.get(),
      server->committer_.get(), std::move(pipeline_options));
  server->timers_ =
      std::make_unique<jobs::TimerScheduler>(server->store_.get(), server->pipeline_.get(),
                                             std::chrono::milliseconds(config.timer_poll_ms));
  server->automations_ = std::make_unique<jobs::AutomationScheduler>(
      server->store_.get(), server->rules_.get(), server->pipeline_.get(),
      std::chrono::milliseconds(config.automation_interval_ms), config.automation_batch);

  server->event_service_ = std::make_unique<api::EventService>(
      auth, server->rules_.get(), server->catalog_.get(), server->state_cache_.get(),
      server->pipeline_.get(), config.stream_window);
  server->ticket_service_ = std::make_unique<api::TicketService>(auth, server->store_.get());
  server->execution_service_ = std::make_unique<api::ExecutionService>(
      auth, server->store_.get(), [workers] { workers->Notify(); });
  server->agent_service_ =
      std::make_unique<api::AgentService>(auth, server->store_.get(), server->agent_cache_.get());
  server->plugin_service_ =
      std::make_unique<api::PluginService>(auth, server->plugin_host_.get(), server->store_.get());

  if (!config.admin_listen.empty()) {
    auto admin =
        observability::AdminServer::Start(config.admin_listen, metrics, server->store_.get());
    if (!admin.ok()) return admin.status();
    server->admin_ = std::move(*admin);
    // Tests and scripts that ask for port 0 wait for this line.
    spdlog::info("admin HTTP server (/metrics) listening on port {}", server->admin_->port());
  }

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  auto credentials = MakeServerCredentials(config.tls);
  if (!credentials.ok()) return credentials.status();
  if (config.tls.enabled()) {
    spdlog::info("TLS with {} (reloaded every {} s); client certificates: {}", config.tls.cert_file,
                 config.tls.reload_interval_s,
                 config.tls.client_ca_file.empty() ? "not requested"
                 : config.tls.require_client_cert  ? "required"
                                                   : "verified when presented");
  }
  builder.AddListeningPort(config.listen, *credentials, &server->port_);
  ApplyGrpcServerOptions(config, &builder);
  SetMaxPageBytes(static_cast<size_t>(config.max_message_bytes) / 2);
  server->health_service_ = std::make_unique<api::HealthService>();
  builder.RegisterService(server->health_service_.get());
  builder.RegisterService(server->rule_service_.get());
  builder.RegisterService(server->event_service_.get());
  builder.RegisterService(server->plugin_service_.get());
  builder.RegisterService(server->ticket_service_.get());
  builder.RegisterService(server->execution_service_.get());
  builder.RegisterService(server->agent_service_.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(api::NewMalformedRequestInterceptorFactory());
  // After the one above: send hooks run in order, so this one sees the final status.
  interceptors.push_back(observability::NewRpcObserverFactory(metrics));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server->grpc_server_ = builder.BuildAndStart();
  if (!server->grpc_server_ || server->port_ == 0) {
    return absl::UnavailableError(StrCat("cannot listen on ", config.listen));
  }
  server->health_service_->SetServing(true);
  spdlog::info("triggerfishd serving on port {} (store {})", server->port_, config.store_path);
  return server;
}

void Server::Shutdown(std::chrono::milliseconds grace) {
  if (shut_down_ || !grpc_server_) return;
  shut_down_ = true;
  // NOT_SERVING first, and Watch streams end, so that they do not hold the
  // drain for the whole grace period.
  health_service_->Shutdown();
  grpc_server_->Shutdown(std::chrono::system_clock::now() + grace);
}

void Server::Wait() {
  if (grpc_server_) grpc_server_->Wait();
  // Drain: no new events can arrive; stop firing timers, let the committer
  // finish what it has, let running deferred attempts finish.
  automations_.reset();
  timers_.reset();
  // Runs the events still queued for a cycle (a stream's last ones) into
  // the committer, which then commits what it has.
  pipeline_.reset();
  committer_.reset();
  outbox_.reset();
}

int Server::admin_port() const { return admin_ ? admin_->port() : 0; }

int64_t Server::commit_batches() const { return committer_ ? committer_->batches() : 0; }
int64_t Server::committed_events() const { return committer_ ? committer_->events() : 0; }

}  // namespace triggerfish::server
