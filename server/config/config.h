#pragma once

// Server configuration: defaults that start a working server with no config
// at all, overridden by a YAML file, overridden by command-line flags.
//
// YAML keys (all optional):
//   listen: "0.0.0.0:50051"        # gRPC address
//   store: "triggerfish.db"        # SQLite file
//   plugin_dirs: ["plugins"]       # directories of action plugins (default: the
//                                  # bundled plugins' directory)
//   plugins: {email: {...}}        # configuration object per plugin name
//   skip_bad_plugins: false        # start without a plugin that fails to load
//   inline_action_timeout_ms: 1000 # an inline action slower than this fails
//   log_level: "info"              # trace, debug, info, warn, error
//   seed_rules: "rules.yaml"       # rules created for tenant "default" when it has none
//   max_message_bytes: 4194304     # largest gRPC message accepted
//   stream_window: 64              # events in flight per PublishEvents stream
//   commit_batch: 256              # most events in one group commit
//   timer_poll_ms: 200             # how often due timers are looked for
//   automation_interval_ms: 60000  # how often schedule.tick rules run
//   automation_batch: 500          # tickets per tenant per tick
//   outbox: {threads: 4, max_attempts: 5, base_backoff_ms: 500,
//            max_backoff_ms: 60000, action_timeout_ms: 30000}
//   limits: { max_condition_depth: 32, max_predicates: 256, max_actions: 32,
//             max_event_types: 32, max_regex_length: 1024, regex_max_mem: 1048576,
//             max_value_length: 4096, max_list_values: 1000, max_rule_bytes: 262144,
//             max_rules_per_tenant: 20000 }

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "server/engine/limits.h"

namespace triggerfish::server {

struct ServerConfig {
  std::string listen = "0.0.0.0:50051";
  std::string store_path = "triggerfish.db";
  // Empty: DefaultPluginDirs().
  std::vector<std::string> plugin_dirs;
  std::map<std::string, nlohmann::json> plugin_configs;
  bool skip_bad_plugins = false;
  int inline_action_timeout_ms = 1000;
  int stream_window = 64;
  int commit_batch = 256;
  int timer_poll_ms = 200;
  int automation_interval_ms = 60000;
  int automation_batch = 500;
  struct Outbox {
    int threads = 4;
    int max_attempts = 5;
    int base_backoff_ms = 500;
    int max_backoff_ms = 60000;
    int action_timeout_ms = 30000;
  } outbox;
  std::string log_level = "info";
  std::string seed_rules;
  int max_message_bytes = 4 * 1024 * 1024;
  engine::RuleLimits limits;
};

// The bundled plugins' directory: the installed one if it exists, else the
// one of the build tree this binary was built in.
std::vector<std::string> DefaultPluginDirs();

// Reads a YAML config file over `config`. Unknown keys and wrong types are
// errors naming the key.
absl::Status LoadConfigFile(const std::string& path, ServerConfig* config);

// Parses YAML text into JSON: plain scalars become numbers, booleans or null
// where they look like one; quoted scalars stay strings.
absl::StatusOr<nlohmann::json> YamlToJson(const std::string& yaml_text);

}  // namespace triggerfish::server
