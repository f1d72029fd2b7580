// triggerfishd: the Triggerfish rule engine as a gRPC service.

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "server/observability/logging.h"
#include "server/plugins/call_watch.h"
#include "server/server.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  using triggerfish::server::ServerConfig;
  CLI::App app{"triggerfishd: customer-service automation engine (gRPC)"};
  std::string config_file;
  std::string listen, store, log_level, log_format, admin_listen, seed_rules;
  std::vector<std::string> plugin_dirs;
  int grace_ms = 0;
  app.add_option("--config", config_file,
                 "YAML config file (default: $TRIGGERFISH_CONFIG); TRIGGERFISH_<KEY> environment "
                 "variables override its top-level keys, flags override both")
      ->check(CLI::ExistingFile);
  app.add_option("--listen", listen,
                 "gRPC listen address (default 0.0.0.0:50051; port 0 picks one)");
  app.add_option("--store", store,
                 "SQLite database file (default triggerfish.db in the working directory)");
  app.add_option("--plugin-dir", plugin_dirs, "directory of action plugins (repeatable)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error (default info)");
  app.add_option("--log-format", log_format, "plain or json (default plain)");
  app.add_option("--admin-listen", admin_listen,
                 "admin HTTP address serving /metrics (default 0.0.0.0:9090; \"\" disables; "
                 "port 0 picks one)");
  app.add_option("--seed-rules", seed_rules,
                 "YAML rules created for tenant 'default' when it has no rules");
  auto* grace_flag =
      app.add_option("--shutdown-grace-ms", grace_ms,
                     "on SIGTERM/SIGINT, time in-flight calls get to finish (default 10000)");
  CLI11_PARSE(app, argc, argv);

  // Precedence: defaults < config file < TRIGGERFISH_* environment < flags.
  ServerConfig config;
  const auto env = triggerfish::server::ProcessEnvironment();
  if (config_file.empty() && env.contains("TRIGGERFISH_CONFIG")) {
    config_file = env.at("TRIGGERFISH_CONFIG");
  }
  if (!config_file.empty()) {
    if (auto s = triggerfish::server::LoadConfigFile(config_file, &config); !s.ok()) {
      std::cerr << "triggerfishd: " << s.message() << "\n";
      return 2;
    }
  }
  std::vector<std::string> ignored_env;
  if (auto s = triggerfish::server::ApplyEnvironment(env, &config, &ignored_env); !s.ok()) {
    std::cerr << "triggerfishd: " << s.message() << "\n";
    return 2;
  }
  if (!listen.empty()) config.listen = listen;
  if (!store.empty()) config.store_path = store;
  if (!plugin_dirs.empty()) config.plugin_dirs = plugin_dirs;
  if (!log_level.empty()) config.log_level = log_level;
  if (!seed_rules.empty()) config.seed_rules = seed_rules;
  if (grace_flag->count() > 0) config.shutdown_grace_ms = grace_ms;
  grace_ms = config.shutdown_grace_ms;
  if (!log_format.empty()) config.log_format = log_format;
  if (app.count("--admin-listen") > 0) config.admin_listen = admin_listen;

  const auto level = spdlog::level::from_str(config.log_level);
  if (level == spdlog::level::off && config.log_level != "off") {
    std::cerr << "triggerfishd: unknown log level \"" << config.log_level << "\"\n";
    return 2;
  }
  spdlog::set_level(level);
  const auto format = triggerfish::server::observability::ParseLogFormat(config.log_format);
  if (!format.ok()) {
    std::cerr << "triggerfishd: " << format.status().message() << "\n";
    return 2;
  }
  triggerfish::server::observability::SetLogFormat(*format);
  for (const auto& name : ignored_env) {
    if (name != "TRIGGERFISH_CONFIG") {
      spdlog::info("environment variable {} names no config key; ignored", name);
    }
  }

  // Block the shutdown signals before any gRPC thread exists, so that every
  // thread inherits the mask and only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = triggerfish::server::Server::Start(config);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}", std::string(server.status().message()));
    return 1;
  }
  std::thread waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    spdlog::info("received signal {}; draining for up to {} ms", signal, grace_ms);
    (*server)->Shutdown(std::chrono::milliseconds(grace_ms));
  });
  (*server)->Wait();
  spdlog::info("gRPC server shut down");
  waiter.join();
  if (const int64_t stuck = triggerfish::server::plugins::AbandonedCallsRunning().load();
      stuck > 0) {
    // Everything acknowledged is committed; but a thread still inside a
    // plugin could come back into objects an orderly teardown frees.
    spdlog::warn("{} abandoned plugin calls are still running: exiting without teardown", stuck);
    spdlog::info("triggerfishd stopped");
    spdlog::shutdown();
    std::_Exit(0);
  }
  spdlog::info("triggerfishd stopped");
  return 0;
}
