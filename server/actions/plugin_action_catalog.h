#pragma once

// The engine's ActionCatalog backed by the action plugins the PluginHost
// loaded: rule params are validated against each action's JSON Schema, and
// inline actions run through the plugin ABI with the ticket and event as
// JSON.

#include <chrono>

#include "server/engine/action.h"
#include "server/plugins/plugin_host.h"

namespace triggerfish::server::observability {
class Metrics;
}

namespace triggerfish::server::actions {

struct HostServices;

class PluginActionCatalog final : public engine::ActionCatalog {
 public:
  // `host` must outlive the catalog. Inline actions slower than
  // `inline_timeout` fail (their result is discarded).
  // `metrics` (may be null) times the inline actions of real events.
  PluginActionCatalog(const plugins::PluginHost* host, const HostServices* services,
                      std::chrono::milliseconds inline_timeout,
                      observability::Metrics* metrics = nullptr)
      : host_(host), services_(services), inline_timeout_(inline_timeout), metrics_(metrics) {}

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
};

// Converts a JSON Pointer ("/tags/0") to a field path suffix (".tags[0]").
std::string JsonPointerToPath(std::string_view pointer);

// Maps a plugin outcome (result JSON) to the engine's outcome.
engine::ActionOutcome ToActionOutcome(const plugins::ExecuteOutcome& outcome);

}  // namespace triggerfish::server::actions
