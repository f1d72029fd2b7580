#pragma once

// The engine's ActionCatalog backed by the action plugins the PluginHost
// loaded: rule params are validated against each action's JSON Schema, and
// inline actions run through the plugin ABI with the ticket and event as
// JSON. A plugin that never returns must not take a thread that matters
// with it: on a thread with a CallWatch (the event pipeline's cycle
// workers) the plugin is called directly under the watch; elsewhere (dry
// runs) on a worker of a PluginCallPool. Either way an action that outlives
// the inline timeout fails and its call is abandoned.

#include <chrono>
#include <memory>
#include <string>

#include "server/engine/action.h"
#include "server/plugins/plugin_call_pool.h"
#include "server/plugins/plugin_host.h"

namespace triggerfish::server::observability {
class Metrics;
}

namespace triggerfish::server::actions {

struct HostServices;

class PluginActionCatalog final : public engine::ActionCatalog {
 public:
  // `host` must outlive the catalog. An inline action still running after
  // `inline_timeout` fails RETRYABLE and is abandoned. Unwatched callers'
  // actions run on `pool_threads` workers. `metrics` (may be null) times the
  // inline actions of real events and counts the abandoned ones of
  // unwatched callers (the watcher counts its own).
  PluginActionCatalog(const plugins::PluginHost* host, const HostServices* services,
                      std::chrono::milliseconds inline_timeout, int pool_threads,
                      observability::Metrics* metrics = nullptr)
      : host_(host),
        services_(services),
        inline_timeout_(inline_timeout),
        metrics_(metrics),
        pool_(std::make_unique<plugins::PluginCallPool>("tf-inline", pool_threads)) {}

  std::optional<engine::ActionMode> ModeOf(std::string_view type) const override;
  void ValidateParams(std::string_view type, const google::protobuf::Struct& params,
                      const std::string& path, Violations* violations) const override;
  engine::ActionOutcome RunInline(const engine::ActionRequest& request) const override;

  const plugins::PluginHost& host() const { return *host_; }

 private:
  const plugins::PluginHost* host_;
  const HostServices* services_;
  std::chrono::milliseconds inline_timeout_;
  observability::Metrics* metrics_;
  std::unique_ptr<plugins::PluginCallPool> pool_;
};

// Converts a JSON Pointer ("/tags/0") to a field path suffix (".tags[0]").
std::string JsonPointerToPath(std::string_view pointer);

// Maps a plugin outcome (result JSON) to the engine's outcome.
engine::ActionOutcome ToActionOutcome(const plugins::ExecuteOutcome& outcome);

}  // namespace triggerfish::server::actions
