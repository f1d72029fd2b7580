#pragma once

// Server configuration: defaults that start a working server with no config
// at all, overridden by a YAML file, overridden by environment variables,
// overridden by command-line flags.
//
// Environment: every top-level key can be set as TRIGGERFISH_<KEY> (upper
// case), e.g. TRIGGERFISH_LISTEN, TRIGGERFISH_STORE, TRIGGERFISH_LOG_LEVEL,
// TRIGGERFISH_SHUTDOWN_GRACE_MS. A value is read like a plain YAML scalar,
// or as YAML when it starts with '{' or '[' (TRIGGERFISH_AUTH='{enabled:
// true, tokens: [...]}' from a Kubernetes Secret); TRIGGERFISH_PLUGIN_DIRS
// may also be a ':'-separated list. An empty value is the empty string. Other
// TRIGGERFISH_* variables are ignored (Kubernetes sets
// TRIGGERFISH_SERVICE_HOST etc. for a Service named triggerfish).
// TRIGGERFISH_CONFIG names the config file when --config is not given.
//
// YAML keys (all optional):
//   listen: "0.0.0.0:50051"        # gRPC address
//   store: "triggerfish.db"        # SQLite file
//   plugin_dirs: ["plugins"]       # directories of action plugins (default: the
//                                  # bundled plugins' directory)
//   plugins: {email: {...}}        # configuration object per plugin name
//   skip_bad_plugins: false        # start without a plugin that fails to load
//   inline_action_timeout_ms: 1000 # an inline action slower than this fails (and is
//                                  # abandoned if it has not returned)
//   cycle_threads: 4               # threads that run trigger cycles and their inline
//                                  # actions (one tenant's events one at a time)
//   log_level: "info"              # trace, debug, info, warn, error
//   log_format: "plain"            # plain or json (one JSON object per line)
//   admin_listen: "0.0.0.0:9090"   # admin HTTP (Prometheus /metrics); "" disables,
//                                  # port 0 picks one (logged)
//   seed_rules: "rules.yaml"       # rules created for tenant "default" when it has none
//   max_message_bytes: 4194304     # largest gRPC message accepted
//   shutdown_grace_ms: 10000       # on SIGTERM, time in-flight calls get to finish
//   grpc:                          # HTTP/2 connection management (0 = off)
//     keepalive_time_ms: 60000     # ping a client after this long without activity
//     keepalive_timeout_ms: 20000  # close the connection if the ping is not answered
//     keepalive_permit_without_calls: true  # ping, and accept pings, with no call open
//     min_ping_interval_ms: 10000  # clients pinging more often get GOAWAY (too_many_pings)
//     max_connection_age_ms: 1800000        # GOAWAY after this age (+-10% jitter), so
//                                           # clients reconnect and rebalance over replicas
//     max_connection_age_grace_ms: 300000   # then calls still open get this long
//     max_connection_idle_ms: 0    # close connections without calls for this long
//     max_concurrent_streams: 1000 # calls at once per connection; clients queue the rest
//   stream_window: 64              # events in flight per PublishEvents stream
//   max_inflight_events: 10000     # published events accepted and not yet answered;
//                                  # more are refused at once (UNAVAILABLE, OVERLOADED)
//   commit_batch: 256              # most events in one group commit
//   timer_poll_ms: 200             # how often due timers are looked for
//   automation_interval_ms: 60000  # how often schedule.tick rules run
//   automation_batch: 500          # tickets per tenant per tick
//   outbox: {threads: 4, max_attempts: 5, base_backoff_ms: 500,
//            max_backoff_ms: 60000, action_timeout_ms: 30000}
//   limits: { max_condition_depth: 32, max_predicates: 256, max_actions: 32,
//             max_event_types: 32, max_regex_length: 1024, regex_max_mem: 1048576,
//             max_value_length: 4096, max_list_values: 1000, max_rule_bytes: 262144,
//             max_rules_per_tenant: 20000, max_event_bytes: 1048576 }
//   Every number above must be positive, except the grpc: values, where 0
//   turns a setting off, and shutdown_grace_ms (0: cancel calls at once)
//   (docs/limits.md lists what each limit does and what a client sees when
//   it is exceeded).
//   auth: {enabled: false,         # off: every caller is tenant "default" with every role
//          tokens: [{name: "helpdesk-prod", sha256: "<64 hex digits of the token's SHA-256>",
//                    tenant: "acme", roles: [admin, publisher, reader]}]}
//   tls: {cert_file: "", key_file: "", # both set: TLS only
//         client_ca_file: "",          # set: client certificates are verified (mTLS)
//         require_client_cert: false,  # refuse clients without a certificate
//         reload_interval_s: 60}       # certificate files are re-read when they change
//   (auth and tls: server/config/security_config.h, docs/authentication.md)

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "server/config/security_config.h"
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
  int cycle_threads = 4;
  int stream_window = 64;
  int max_inflight_events = 10000;
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
  std::string log_format = "plain";
  // Empty: no admin HTTP server.
  std::string admin_listen = "0.0.0.0:9090";
  std::string seed_rules;
  int max_message_bytes = 4 * 1024 * 1024;
  int shutdown_grace_ms = 10000;
  // gRPC channel arguments of the server (see the `grpc:` keys above).
  struct GrpcOptions {
    int keepalive_time_ms = 60000;
    int keepalive_timeout_ms = 20000;
    bool keepalive_permit_without_calls = true;
    int min_ping_interval_ms = 10000;
    int max_connection_age_ms = 30 * 60 * 1000;
    int max_connection_age_grace_ms = 5 * 60 * 1000;
    int max_connection_idle_ms = 0;
    int max_concurrent_streams = 1000;
  } grpc;
  engine::RuleLimits limits;
  AuthConfig auth;
  TlsConfig tls;
};

// The bundled plugins' directory: the installed one if it exists, else the
// one of the build tree this binary was built in.
std::vector<std::string> DefaultPluginDirs();

// Reads a YAML config file over `config`. Unknown keys and wrong types are
// errors naming the key.
absl::Status LoadConfigFile(const std::string& path, ServerConfig* config);

// Applies the TRIGGERFISH_<KEY> variables of `env` (name -> value) over
// `config`, as the same keys of a config file would be. Variables that name
// no key are skipped and listed in `ignored` (may be null); a value of the
// wrong type is an error naming the variable.
absl::Status ApplyEnvironment(const std::map<std::string, std::string>& env, ServerConfig* config,
                              std::vector<std::string>* ignored = nullptr);

// The process environment as a map, for ApplyEnvironment.
std::map<std::string, std::string> ProcessEnvironment();

// Parses YAML text into JSON: plain scalars become numbers, booleans or null
// where they look like one; quoted scalars stay strings.
absl::StatusOr<nlohmann::json> YamlToJson(const std::string& yaml_text);

}  // namespace triggerfish::server
