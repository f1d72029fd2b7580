#include "server/plugins/plugin_host.h"

#include <algorithm>
#include <cstring>
#include <system_error>
#include <utility>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/plugins/module_loader.h"

namespace triggerfish::server::plugins {
namespace {

constexpr size_t kMaxInitErrorBytes = 64 * 1024;

// The Result format of plugin_abi.h. Patch values are checked here so that
// the engine can apply a patch without re-checking its shape.
constexpr std::string_view kResultSchema = R"({
  "type": "object",
  "properties": {
    "ticket_patch": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "set": {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "subject": {"type": "string"},
            "status": {"enum": ["new", "open", "pending", "on_hold", "solved", "closed"]},
            "priority": {"enum": ["low", "normal", "high", "urgent"]},
            "type": {"type": "string"},
            "assignee_id": {"type": "string"},
            "group_id": {"type": "string"}
          }
        },
        "add_tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "remove_tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "custom_fields": {"type": "object"}
      }
    },
    "message": {"type": "string"}
  }
})";

const JsonSchema& ResultSchema() {
  static const JsonSchema* schema = new JsonSchema(*JsonSchema::Compile(kResultSchema));
  return *schema;
}

std::string Describe(const std::vector<SchemaViolation>& violations) {
  return absl::StrJoin(violations, "; ", [](std::string* out, const SchemaViolation& v) {
    absl::StrAppend(out, v.path.empty() ? "(root)" : v.path, ": ", v.message);
  });
}

// Receives bytes from a plugin, refusing more than `limit`.
struct BoundedBuffer {
  explicit BoundedBuffer(size_t limit) : limit(limit) {}

  tf_sink sink() {
    return tf_sink{this, [](void* opaque, const char* data, size_t size) -> int32_t {
                     auto* self = static_cast<BoundedBuffer*>(opaque);
                     if (self->overflow || size > self->limit - self->bytes.size()) {
                       self->overflow = true;
                       return 1;
                     }
                     self->bytes.append(data, size);
                     return 0;
                   }};
  }

  size_t limit;
  std::string bytes;
  bool overflow = false;
};

// The host API table one plugin sees: the caller's table with log and now
// routed through here so that log lines name the plugin.
struct ScopedHostApi {
  std::string plugin;
  const tf_host_api* server;
  tf_host_api table;
};

void ScopedLog(tf_host* host, int32_t level, const char* message, size_t size) {
  auto* scoped = reinterpret_cast<ScopedHostApi*>(host);
  std::string line = absl::StrCat("[", scoped->plugin, "] ", absl::string_view(message, size));
  scoped->server->log(scoped->server->host, level, line.data(), line.size());
}

int64_t ScopedNow(tf_host* host) {
  auto* scoped = reinterpret_cast<ScopedHostApi*>(host);
  return scoped->server->now_unix_micros(scoped->server->host);
}

bool IsComplete(const tf_host_api* api) {
  return api != nullptr && api->struct_size >= sizeof(tf_host_api) && api->log != nullptr &&
         api->now_unix_micros != nullptr && api->state_get != nullptr &&
         api->state_put != nullptr && api->state_compare_and_set != nullptr &&
         api->state_increment != nullptr && api->schedule_timer != nullptr &&
         api->cancel_timer != nullptr && api->directory_group_agents != nullptr &&
         api->directory_agent_open_ticket_count != nullptr;
}

ResultCode ToResultCode(int32_t code) {
  switch (code) {
    case TF_OK:
      return ResultCode::kOk;
    case TF_RETRYABLE:
      return ResultCode::kRetryable;
    default:
      return ResultCode::kPermanent;
  }
}

}  // namespace

std::string_view ToString(ActionMode mode) {
  return mode == ActionMode::kInline ? "inline" : "deferred";
}

std::string_view ToString(ResultCode code) {
  switch (code) {
    case ResultCode::kOk:
      return "OK";
    case ResultCode::kRetryable:
      return "RETRYABLE";
    case ResultCode::kPermanent:
      return "PERMANENT";
  }
  return "PERMANENT";
}

struct PluginHost::Plugin {
  const tf_plugin_descriptor* descriptor = nullptr;
  std::filesystem::path path;
  std::unique_ptr<ScopedHostApi> api;
  tf_plugin_instance* instance = nullptr;
};

struct PluginHost::Action {
  ActionInfo info;
  const tf_action_descriptor* descriptor;
  tf_plugin_instance* instance;
  JsonSchema params_schema;
};

PluginHost::PluginHost(const tf_host_api* host_api, PluginHostOptions options)
    : host_api_(host_api), options_(std::move(options)) {}

PluginHost::~PluginHost() {
  for (auto it = plugins_.rbegin(); it != plugins_.rend(); ++it) {
    (*it)->descriptor->destroy((*it)->instance);
  }
}

absl::Status PluginHost::Refuse(const std::filesystem::path& file, std::string reason) const {
  spdlog::error("plugin {}: {}", file.string(), reason);
  return absl::InvalidArgumentError(absl::StrCat(file.string(), ": ", reason));
}

absl::Status PluginHost::LoadAll() {
  for (const std::filesystem::path& directory : options_.directories) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
      if (entry.is_regular_file() && entry.path().extension() == ".so")
        files.push_back(entry.path());
    }
    if (ec) {
      spdlog::error("plugin directory {}: {}", directory.string(), ec.message());
      return absl::NotFoundError(
          absl::StrCat("plugin directory ", directory.string(), ": ", ec.message()));
    }
    std::sort(files.begin(), files.end());
    for (const std::filesystem::path& file : files) {
      absl::Status status = LoadFile(file);
      if (status.ok()) continue;
      if (!options_.skip_bad_plugins) return status;
      spdlog::warn("plugin {}: skipped (skip_bad_plugins is set)", file.string());
    }
  }
  for (const auto& [name, config] : options_.configs) {
    bool loaded = std::any_of(infos_.begin(), infos_.end(),
                              [&name = name](const PluginInfo& p) { return p.name == name; });
    if (!loaded) spdlog::warn("config given for plugin '{}', which is not loaded", name);
  }
  return absl::OkStatus();
}

absl::Status PluginHost::LoadFile(const std::filesystem::path& file) {
  if (!IsComplete(host_api_)) return Refuse(file, "the host API table is incomplete");
  absl::StatusOr<const tf_plugin_descriptor*> opened = OpenPluginModule(file);
  if (!opened.ok()) return Refuse(file, std::string(opened.status().message()));
  const tf_plugin_descriptor& d = **opened;
  if (absl::Status s = CheckDescriptor(d); !s.ok()) return Refuse(file, std::string(s.message()));

  std::string name = d.name;
  for (const auto& p : plugins_) {
    if (name == p->descriptor->name) {
      return Refuse(file,
                    absl::StrCat("plugin '", name, "' is already loaded from ", p->path.string()));
    }
  }
  std::vector<std::unique_ptr<Action>> actions;
  for (size_t i = 0; i < d.action_count; ++i) {
    const tf_action_descriptor& a = *d.actions[i];
    std::string type = a.type;
    bool duplicate = actions_.contains(type) ||
                     std::any_of(actions.begin(), actions.end(),
                                 [&](const auto& other) { return other->info.type == type; });
    if (duplicate) {
      std::string owner = actions_.contains(type) ? actions_.find(type)->second->info.plugin : name;
      return Refuse(file, absl::StrCat("action type '", type, "' is already provided by plugin '",
                                       owner, "'"));
    }
    absl::StatusOr<JsonSchema> schema = JsonSchema::Compile(std::string_view(a.params_schema));
    if (!schema.ok()) {
      return Refuse(
          file, absl::StrCat("invalid params schema of '", type, "': ", schema.status().message()));
    }
    ActionInfo info{type, name,
                    a.mode == TF_MODE_INLINE ? ActionMode::kInline : ActionMode::kDeferred,
                    a.description == nullptr ? "" : a.description, schema->json()};
    actions.push_back(
        std::make_unique<Action>(Action{std::move(info), &a, nullptr, std::move(*schema)}));
  }

  absl::StatusOr<JsonSchema> config_schema = JsonSchema::Compile(std::string_view(d.config_schema));
  if (!config_schema.ok()) {
    return Refuse(file, absl::StrCat("invalid config schema: ", config_schema.status().message()));
  }
  auto config_it = options_.configs.find(name);
  nlohmann::json config =
      config_it == options_.configs.end() ? nlohmann::json::object() : config_it->second;
  if (auto violations = config_schema->Validate(config); !violations.empty()) {
    return Refuse(file, absl::StrCat("config does not match the plugin's config schema: ",
                                     Describe(violations)));
  }

  auto plugin = std::make_unique<Plugin>();
  plugin->descriptor = &d;
  plugin->path = file;
  plugin->api = std::make_unique<ScopedHostApi>();
  plugin->api->plugin = name;
  plugin->api->server = host_api_;
  plugin->api->table = *host_api_;
  plugin->api->table.struct_size = sizeof(tf_host_api);
  plugin->api->table.host = reinterpret_cast<tf_host*>(plugin->api.get());
  plugin->api->table.log = &ScopedLog;
  plugin->api->table.now_unix_micros = &ScopedNow;

  std::string config_text = config.dump();
  BoundedBuffer error(kMaxInitErrorBytes);
  tf_sink error_sink = error.sink();
  int32_t code = d.init(&plugin->api->table, config_text.data(), config_text.size(),
                        &plugin->instance, &error_sink);
  if (code != TF_OK) {
    return Refuse(file, absl::StrCat("init failed (", std::string(ToString(ToResultCode(code))),
                                     "): ", error.bytes.empty() ? "no reason given" : error.bytes));
  }

  PluginInfo info{name,
                  d.version,
                  d.build_info == nullptr ? "" : d.build_info,
                  file,
                  d.abi_major,
                  d.abi_minor,
                  config_schema->json(),
                  {}};
  std::vector<std::string> types;
  for (auto& action : actions) {
    action->instance = plugin->instance;
    info.actions.push_back(action->info);
    types.push_back(action->info.type);
    std::string type = action->info.type;
    actions_.emplace(std::move(type), std::move(action));
  }
  spdlog::info("plugin {}: loaded '{}' {} with actions {}", file.string(), name, info.version,
               absl::StrJoin(types, ", "));
  infos_.push_back(std::move(info));
  plugins_.push_back(std::move(plugin));
  return absl::OkStatus();
}

const ActionInfo* PluginHost::FindAction(std::string_view type) const {
  auto it = actions_.find(type);
  return it == actions_.end() ? nullptr : &it->second->info;
}

absl::StatusOr<std::vector<SchemaViolation>> PluginHost::ValidateParams(
    std::string_view type, const nlohmann::json& params) const {
  auto it = actions_.find(type);
  if (it == actions_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no plugin provides action type '", std::string(type), "'"));
  }
  return it->second->params_schema.Validate(params);
}

ExecuteOutcome PluginHost::Execute(std::string_view type, const ExecuteRequest& request) const {
  ExecuteOutcome outcome;
  auto it = actions_.find(type);
  if (it == actions_.end()) {
    outcome.error = absl::StrCat("no plugin provides action type '", std::string(type), "'");
    return outcome;
  }
  const Action& action = *it->second;

  tf_execute_request r{};
  r.struct_size = sizeof(r);
  r.attempt = request.attempt;
  r.ctx = request.ctx;
  r.params_json = {request.params_json.data(), request.params_json.size()};
  r.ticket_json = {request.ticket_json.data(), request.ticket_json.size()};
  r.event_json = {request.event_json.data(), request.event_json.size()};
  r.operation_id = {request.operation_id.data(), request.operation_id.size()};
  if (request.timeout.count() > 0) {
    r.deadline_unix_micros =
        host_api_->now_unix_micros(host_api_->host) +
        std::chrono::duration_cast<std::chrono::microseconds>(request.timeout).count();
  }

  BoundedBuffer buffer(options_.max_result_bytes);
  tf_sink sink = buffer.sink();
  auto start = std::chrono::steady_clock::now();
  int32_t code = action.descriptor->execute(action.instance, &r, &sink);
  outcome.duration = std::chrono::steady_clock::now() - start;

  if (request.timeout.count() > 0 && outcome.duration > request.timeout) {
    outcome.code = ResultCode::kRetryable;
    outcome.error = absl::StrCat(
        "timed out: took ",
        std::chrono::duration_cast<std::chrono::milliseconds>(outcome.duration).count(),
        " ms, timeout is ", request.timeout.count(), " ms");
    return outcome;
  }
  if (code != TF_OK && code != TF_RETRYABLE && code != TF_PERMANENT) {
    outcome.error = absl::StrCat("returned unknown result code ", code);
    return outcome;
  }
  if (buffer.overflow) {
    outcome.error = absl::StrCat("result exceeds ", options_.max_result_bytes, " bytes");
    return outcome;
  }
  nlohmann::json result = buffer.bytes.empty() ? nlohmann::json::object()
                                               : nlohmann::json::parse(buffer.bytes, nullptr,
                                                                       /*allow_exceptions=*/false);
  if (result.is_discarded()) {
    outcome.error = "result is not valid JSON";
    return outcome;
  }
  if (!result.is_object()) {
    outcome.error = "result is not a JSON object";
    return outcome;
  }
  if (auto violations = ResultSchema().Validate(result); !violations.empty()) {
    outcome.error = absl::StrCat("invalid result: ", Describe(violations));
    return outcome;
  }
  outcome.code = ToResultCode(code);
  if (outcome.code != ResultCode::kOk) {
    auto message = result.find("message");
    outcome.error = message != result.end()
                        ? message->get<std::string>()
                        : absl::StrCat(std::string(ToString(outcome.code)), " with no message");
  }
  outcome.result = std::move(result);
  return outcome;
}

}  // namespace triggerfish::server::plugins
