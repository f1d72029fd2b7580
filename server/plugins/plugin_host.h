// PluginHost: loads action plugins (shared libraries built against the
// Triggerfish SDK) and runs their actions.
//
//   PluginHostOptions options;
//   options.directories = {"/usr/lib/triggerfish/plugins"};
//   options.configs["email"] = {{"smtp_url", "smtp://mail:25"}};
//   PluginHost host(&my_host_api, std::move(options));
//   if (absl::Status s = host.LoadAll(); !s.ok()) return s;   // refuse to start
//
//   // Saving a rule:
//   absl::StatusOr<std::vector<SchemaViolation>> v =
//       host.ValidateParams("assign.round_robin", params);
//   // Trigger cycle / outbox worker:
//   ExecuteOutcome out = host.Execute("ticket.add_tags", request);
//   if (out.code == ResultCode::kOk) Apply(out.result["ticket_patch"]);
//
// Loading follows plugin_abi.h: each file is opened with rtld_now |
// rtld_local, its descriptor and schemas checked, its config validated and
// its init called. Every refusal is one spdlog error line naming the file and
// the reason, and the same text in the returned status. Modules are never
// unloaded, even when the PluginHost is destroyed.
//
// Threading: LoadAll/LoadFile must not run concurrently with anything else
// on the same PluginHost (load at start-up). After loading, every const
// method is thread-safe; Execute may run on many threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <triggerfish/plugin_abi.h>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/plugins/json_schema.h"

namespace triggerfish::server::plugins {

enum class ActionMode { kInline, kDeferred };

// How an action ended (tf_result_code).
enum class ResultCode { kOk, kRetryable, kPermanent };

std::string_view ToString(ActionMode mode);  // "inline" / "deferred"
std::string_view ToString(ResultCode code);  // "OK" / "RETRYABLE" / "PERMANENT"

struct ActionInfo {
  std::string type;  // "<plugin>.<action>"
  std::string plugin;
  ActionMode mode = ActionMode::kInline;
  std::string description;
  nlohmann::json params_schema;  // JSON Schema, as declared by the plugin
};

struct PluginInfo {
  std::string name;
  std::string version;
  std::string build_info;
  std::filesystem::path path;
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  nlohmann::json config_schema;
  std::vector<ActionInfo> actions;  // in the plugin's declaration order
};

struct PluginHostOptions {
  // Every regular file ending in ".so" directly inside these directories is
  // loaded by LoadAll, directory by directory, files in name order.
  std::vector<std::filesystem::path> directories;
  // Configuration object per plugin name; a plugin without an entry gets {}.
  std::map<std::string, nlohmann::json, std::less<>> configs;
  // false (default): LoadAll stops at the first bad plugin and returns its
  // error. true: LoadAll logs it, skips it and loads the rest.
  bool skip_bad_plugins = false;
  // A result larger than this is refused (PERMANENT).
  size_t max_result_bytes = 1 << 20;
};

struct ExecuteRequest {
  // The caller's per-execution context: passed unchanged to the plugin, and
  // from it back to the caller's tf_host_api functions. Must identify the
  // tenant, the plugin (the action type's prefix), the ticket and the unit of
  // work; may be null only if the action uses no context-bound host calls.
  tf_exec_ctx* ctx = nullptr;
  // Params (JSON object), ticket (Ticket JSON), event (Event JSON) as text;
  // see plugin_abi.h. Empty means {}.
  std::string_view params_json;
  std::string_view ticket_json;
  std::string_view event_json;
  // Same value on every attempt of one deferred action.
  std::string_view operation_id;
  uint32_t attempt = 1;
  // 0 = none. Sent to the plugin as a deadline (host clock); a result that
  // arrives later than this is discarded and reported as RETRYABLE. Execute
  // itself does not interrupt a plugin: a caller that must not wait longer
  // (the outbox worker) runs Execute on a thread it can abandon.
  std::chrono::milliseconds timeout{0};
};

struct ExecuteOutcome {
  ResultCode code = ResultCode::kPermanent;
  // The Result JSON object, checked against the Result format of
  // plugin_abi.h: {"ticket_patch"?: Patch, "output"?: any, "message"?: string}.
  // {} when the plugin's output was refused.
  nlohmann::json result = nlohmann::json::object();
  // Empty iff code == kOk: the plugin's "message", or why the host refused
  // the result (unknown action, invalid or oversized JSON, timeout).
  std::string error;
  // Wall time spent in the plugin.
  std::chrono::nanoseconds duration{0};
};

class PluginHost {
 public:
  // `host_api` is the table every plugin receives (wrapped so that log lines
  // name the plugin); all its functions must be set. It must outlive this
  // object.
  PluginHost(const tf_host_api* host_api, PluginHostOptions options);
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;
  // Calls every plugin's destroy, in reverse load order. No Execute may be
  // running. The modules stay mapped.
  ~PluginHost();

  // Loads every plugin of options.directories (see PluginHostOptions).
  // Returns the first refusal unless skip_bad_plugins; NotFound if a
  // directory does not exist.
  absl::Status LoadAll();

  // Loads one plugin file. On error nothing is registered and the status
  // message is "<file>: <reason>"; the reasons, in check order:
  //   "cannot load module: <dlerror>"
  //   "does not export tf_plugin_entry_v1 (not a Triggerfish plugin)"
  //   "entry point returned no descriptor"
  //   "bad magic 0x........ (expected 0x5446504c)"
  //   "ABI major version N is not supported (host ABI is 1.M)"
  //   "ABI version 1.N is newer than the host's 1.M"
  //   "descriptor struct_size N is smaller than M"
  //   "invalid plugin name '...'" / "missing version" / "missing init or destroy"
  //   "declares no actions"
  //   "action #i: ..." (struct_size, missing type/schema/execute, bad mode)
  //   "action type 'x' must start with '<name>.'"
  //   "plugin 'x' is already loaded from <file>"
  //   "action type 'x' is already provided by plugin 'y'"
  //   "invalid config schema: ..." / "invalid params schema of 'x': ..."
  //   "config does not match the plugin's config schema: <path>: <msg>; ..."
  //   "init failed (PERMANENT|RETRYABLE): <plugin's message>"
  absl::Status LoadFile(const std::filesystem::path& file);

  // Loaded plugins in load order.
  const std::vector<PluginInfo>& plugins() const { return infos_; }

  // The action of that type, or nullptr. The pointer stays valid for the
  // life of this object.
  const ActionInfo* FindAction(std::string_view type) const;

  // Checks rule params against the action's params schema. NotFound if no
  // plugin provides `type`; otherwise the violations (empty = valid).
  absl::StatusOr<std::vector<SchemaViolation>> ValidateParams(std::string_view type,
                                                              const nlohmann::json& params) const;

  // Runs an action synchronously on the calling thread. Never throws; an
  // unknown type is a PERMANENT outcome. Params are not re-validated here
  // (rules are validated when saved).
  ExecuteOutcome Execute(std::string_view type, const ExecuteRequest& request) const;

 private:
  struct Plugin;
  struct Action;

  absl::Status Refuse(const std::filesystem::path& file, std::string reason) const;

  const tf_host_api* host_api_;
  PluginHostOptions options_;
  std::vector<std::unique_ptr<Plugin>> plugins_;
  std::vector<PluginInfo> infos_;
  std::map<std::string, std::unique_ptr<Action>, std::less<>> actions_;
};

}  // namespace triggerfish::server::plugins
