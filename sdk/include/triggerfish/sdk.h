// Triggerfish plugin SDK: the C++ layer over <triggerfish/plugin_abi.h>.
//
// A plugin is a set of plain action classes plus one macro. Each action class
// declares its type, mode and params JSON Schema and a const Execute method:
//
//   #include <triggerfish/sdk.h>
//
//   namespace tfs = triggerfish::sdk;
//
//   class AddNote {
//    public:
//     static constexpr std::string_view kType = "notes.add";
//     static constexpr tfs::Mode kMode = tfs::Mode::kInline;
//     static constexpr std::string_view kDescription = "Adds a tag.";  // optional
//     static constexpr std::string_view kParamsSchema = R"({
//       "type": "object", "required": ["tag"],
//       "properties": {"tag": {"type": "string", "minLength": 1}}
//     })";
//
//     tfs::Result Execute(tfs::Context& ctx, const tfs::Json& params,
//                         const tfs::Json& ticket) const {
//       return tfs::Result::Ok(
//           tfs::TicketPatch().AddTag(params["tag"].get<std::string>()));
//     }
//   };
//
//   TRIGGERFISH_PLUGIN("notes", "1.0.0", AddNote);
//
// The macro (use it once per plugin, at global scope) exports the C entry
// point tf_plugin_entry_v1 and wraps every call in a catch-all: an exception
// thrown by an action becomes a TF_PERMANENT result carrying its what()
// (RetryableError and transient HostError become TF_RETRYABLE), never a
// crash. Wrong action signatures fail to compile with a readable message.
//
// Plugin-level configuration: TRIGGERFISH_PLUGIN_WITH_CONFIG(name, version,
// Config, Actions...), where Config has `static constexpr std::string_view
// kSchema` (JSON Schema of the config object) and a constructor taking
// `(const Json& config)` or `(const Json& config, const Host& host)`; it may
// throw to fail init. An action class constructible from `const Config&` is
// built from it (and may keep the reference: the Config outlives the
// actions); otherwise it is default-constructed. One instance of each action
// class serves all calls, concurrently, hence `Execute` is const.
#pragma once

#include <triggerfish/plugin_abi.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace triggerfish::sdk {

using Json = nlohmann::json;

// How the host runs an action (see tf_action_mode).
enum class Mode : int32_t { kInline = TF_MODE_INLINE, kDeferred = TF_MODE_DEFERRED };

// Outcome of an action (see tf_result_code).
enum class Code : int32_t {
  kOk = TF_OK,
  kRetryable = TF_RETRYABLE,
  kPermanent = TF_PERMANENT,
};

enum class LogLevel : int32_t {
  kTrace = TF_LOG_TRACE,
  kDebug = TF_LOG_DEBUG,
  kInfo = TF_LOG_INFO,
  kWarn = TF_LOG_WARN,
  kError = TF_LOG_ERROR,
};

// Thrown by an action to ask for a retry (deferred actions only; for inline
// actions the host treats it as a failure of this event's action).
class RetryableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by Context/Host methods when a host call fails. Escaping an action,
// it becomes TF_RETRYABLE if retryable() (the host was unavailable), else
// TF_PERMANENT.
class HostError : public std::runtime_error {
 public:
  HostError(int32_t status, const std::string& what) : std::runtime_error(what), status_(status) {}
  // A tf_host_status.
  int32_t status() const { return status_; }
  bool retryable() const { return status_ == TF_HOST_UNAVAILABLE; }

 private:
  int32_t status_;
};

// Plugin-wide host services: logging and the host's clock. Valid from init
// until destroy; thread-safe.
class Host {
 public:
  explicit Host(const tf_host_api* api) : api_(api) {}

  // Writes one log line attributed to this plugin. Never throws.
  void Log(LogLevel level, std::string_view message) const noexcept {
    api_->log(api_->host, static_cast<int32_t>(level), message.data(), message.size());
  }
  // The host's clock in microseconds since the Unix epoch. Use this, not the
  // system clock, so tests can control time.
  int64_t NowUnixMicros() const { return api_->now_unix_micros(api_->host); }

  const tf_host_api* api() const { return api_; }

 private:
  const tf_host_api* api_;
};

// A ticket change, serialised as the Patch JSON of plugin_abi.h. Setters
// return *this so calls chain. Later calls win over earlier ones.
class TicketPatch {
 public:
  // Sets a core field: subject, status, priority, type, assignee_id or
  // group_id. Throws std::invalid_argument for any other name. The host
  // validates status/priority values; an empty assignee_id/group_id
  // unassigns.
  TicketPatch& Set(std::string_view field, std::string_view value) {
    static constexpr std::string_view kFields[] = {"subject", "status",      "priority",
                                                   "type",    "assignee_id", "group_id"};
    bool known = false;
    for (std::string_view f : kFields) known = known || f == field;
    if (!known) throw std::invalid_argument("not a settable ticket field: " + std::string(field));
    json_["set"][std::string(field)] = std::string(value);
    return *this;
  }
  // Adds a tag (idempotent); cancels an earlier RemoveTag of the same tag.
  TicketPatch& AddTag(std::string_view tag) {
    Erase("remove_tags", tag);
    Insert("add_tags", tag);
    return *this;
  }
  // Removes a tag (idempotent); cancels an earlier AddTag of the same tag.
  TicketPatch& RemoveTag(std::string_view tag) {
    Erase("add_tags", tag);
    Insert("remove_tags", tag);
    return *this;
  }
  // Sets custom field `key` to `value`; a null value removes the field.
  TicketPatch& SetCustomField(std::string_view key, Json value) {
    json_["custom_fields"][std::string(key)] = std::move(value);
    return *this;
  }
  TicketPatch& RemoveCustomField(std::string_view key) { return SetCustomField(key, nullptr); }

  bool empty() const { return json_.empty(); }
  const Json& json() const { return json_; }

 private:
  void Insert(const char* list, std::string_view tag) {
    Json& tags = json_[list];
    for (const Json& t : tags) {
      if (t.get_ref<const std::string&>() == tag) return;
    }
    tags.push_back(std::string(tag));
  }
  void Erase(const char* list, std::string_view tag) {
    auto it = json_.find(list);
    if (it == json_.end()) return;
    Json kept = Json::array();
    for (Json& t : *it) {
      if (t.get_ref<const std::string&>() != tag) kept.push_back(std::move(t));
    }
    if (kept.empty()) {
      json_.erase(it);
    } else {
      *it = std::move(kept);
    }
  }

  Json json_ = Json::object();
};

// What an action returns: a code plus the Result JSON
// {"ticket_patch"?, "output"?, "message"?}.
class Result {
 public:
  static Result Ok() { return Result(Code::kOk); }
  static Result Ok(const TicketPatch& patch) {
    Result r(Code::kOk);
    if (!patch.empty()) r.json_["ticket_patch"] = patch.json();
    return r;
  }
  // Transient failure: a deferred action is retried with backoff.
  static Result Retryable(std::string message) {
    return Result(Code::kRetryable).WithMessage(std::move(message));
  }
  // Failure that retrying will not fix.
  static Result Permanent(std::string message) {
    return Result(Code::kPermanent).WithMessage(std::move(message));
  }

  // Free-form output recorded in the execution record.
  Result& WithOutput(Json output) & {
    json_["output"] = std::move(output);
    return *this;
  }
  Result&& WithOutput(Json output) && { return std::move(WithOutput(std::move(output))); }
  // Human-readable explanation (required for failures, optional for OK).
  Result& WithMessage(std::string message) & {
    json_["message"] = std::move(message);
    return *this;
  }
  Result&& WithMessage(std::string message) && {
    return std::move(WithMessage(std::move(message)));
  }

  Code code() const { return code_; }
  const Json& json() const { return json_; }

 private:
  explicit Result(Code code) : code_(code) {}

  Code code_;
  Json json_ = Json::object();
};

// One execution of an action: request metadata and the context-bound host
// services. Valid only during the Execute call that received it and only on
// its thread. Methods throw HostError when the host call fails.
class Context {
 public:
  Context(const Host& host, const tf_execute_request& request) : host_(host), request_(request) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const Host& host() const { return host_; }
  void Log(LogLevel level, std::string_view message) const noexcept { host_.Log(level, message); }
  int64_t NowUnixMicros() const { return host_.NowUnixMicros(); }

  // Identical on every attempt of one deferred action; use it to deduplicate.
  std::string_view operation_id() const { return View(request_.operation_id); }
  // 1 on the first attempt.
  uint32_t attempt() const { return request_.attempt; }
  // Host-clock deadline in Unix microseconds; 0 = none.
  int64_t deadline_unix_micros() const { return request_.deadline_unix_micros; }
  // The event being processed (parsed on first use; {} if the host sent none).
  const Json& event() {
    if (!event_) event_ = ParseJson(request_.event_json, "event");
    return *event_;
  }

  // Durable per-(tenant, plugin) key-value state. Values are JSON documents.
  // Returns nullopt if the key is absent.
  std::optional<Json> GetState(std::string_view key) {
    std::string value;
    tf_sink sink = StringSink(&value);
    int32_t status = Api().state_get(Ctx(), Str(key), &sink);
    if (status == TF_HOST_NOT_FOUND) return std::nullopt;
    Check(status, "state_get", key);
    return ParseJson(tf_str{value.data(), value.size()}, "state value");
  }
  void PutState(std::string_view key, const Json& value) {
    std::string text = value.dump();
    Check(Api().state_put(Ctx(), Str(key), Str(text)), "state_put", key);
  }
  void DeleteState(std::string_view key) {
    Check(Api().state_put(Ctx(), Str(key), tf_str{nullptr, 0}), "state_put", key);
  }
  // Replaces the value with `desired` if it currently equals `expected`
  // (compared as serialised JSON; nullopt = key absent). Returns false if
  // another writer got there first.
  bool CompareAndSetState(std::string_view key, const std::optional<Json>& expected,
                          const Json& desired) {
    std::string expected_text = expected ? expected->dump() : std::string();
    std::string desired_text = desired.dump();
    tf_str expected_str = Str(expected_text);
    int32_t status = Api().state_compare_and_set(
        Ctx(), Str(key), expected ? &expected_str : nullptr, Str(desired_text));
    if (status == TF_HOST_CONFLICT) return false;
    Check(status, "state_compare_and_set", key);
    return true;
  }
  // Atomically adds `delta` to the integer under `key` (absent = 0) and
  // returns the new value.
  int64_t IncrementState(std::string_view key, int64_t delta = 1) {
    int64_t value = 0;
    Check(Api().state_increment(Ctx(), Str(key), delta, &value), "state_increment", key);
    return value;
  }

  // Durable timer for the current ticket: at `due_unix_micros` (host clock)
  // the host emits an event of `event_type` with "payload": payload. The
  // same key replaces an earlier timer.
  void ScheduleTimer(std::string_view key, int64_t due_unix_micros, std::string_view event_type,
                     const Json& payload = nullptr) {
    std::string text = payload.dump();
    Check(Api().schedule_timer(Ctx(), Str(key), due_unix_micros, Str(event_type), Str(text)),
          "schedule_timer", key);
  }
  void CancelTimer(std::string_view key) {
    Check(Api().cancel_timer(Ctx(), Str(key)), "cancel_timer", key);
  }

  // Agents of a group: a JSON array of Agent objects ([] if unknown).
  Json GroupAgents(std::string_view group_id) {
    std::string text;
    tf_sink sink = StringSink(&text);
    Check(Api().directory_group_agents(Ctx(), Str(group_id), &sink), "directory_group_agents",
          group_id);
    return ParseJson(tf_str{text.data(), text.size()}, "group agents");
  }
  // Open (new/open/pending/on_hold) tickets assigned to the agent.
  int64_t OpenTicketCount(std::string_view agent_id) {
    int64_t count = 0;
    Check(Api().directory_agent_open_ticket_count(Ctx(), Str(agent_id), &count),
          "directory_agent_open_ticket_count", agent_id);
    return count;
  }

  // Parses a borrowed JSON string; empty input is {}. Throws
  // std::invalid_argument naming `what` on malformed JSON.
  static Json ParseJson(tf_str text, const char* what) {
    if (text.size == 0) return Json::object();
    Json parsed =
        Json::parse(text.data, text.data + text.size, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded())
      throw std::invalid_argument(std::string(what) + " is not valid JSON");
    return parsed;
  }
  // A sink appending to *out.
  static tf_sink StringSink(std::string* out) {
    return tf_sink{out, [](void* opaque, const char* data, size_t size) -> int32_t {
                     try {
                       static_cast<std::string*>(opaque)->append(data, size);
                       return 0;
                     } catch (...) {
                       return 1;
                     }
                   }};
  }

 private:
  static std::string_view View(tf_str s) { return std::string_view(s.data, s.size); }
  static tf_str Str(std::string_view s) { return tf_str{s.data(), s.size()}; }
  const tf_host_api& Api() const { return *host_.api(); }
  tf_exec_ctx* Ctx() const { return request_.ctx; }
  static void Check(int32_t status, const char* call, std::string_view key) {
    if (status == TF_HOST_OK) return;
    throw HostError(status, std::string("host call ") + call + "(\"" + std::string(key) +
                                "\") failed with status " + std::to_string(status));
  }

  const Host& host_;
  const tf_execute_request& request_;
  std::optional<Json> event_;
};

// Config type of plugins without configuration: accepts only {}.
struct NoConfig {
  static constexpr std::string_view kSchema =
      R"({"type": "object", "additionalProperties": false})";
  explicit NoConfig(const Json&) {}
};

}  // namespace triggerfish::sdk

#include <triggerfish/internal/plugin_table.h>  // IWYU pragma: export

// Declares the plugin. `name` and `version` are string literals; every
// action's kType must start with name + ".". Use once, at global scope.
#define TRIGGERFISH_PLUGIN(name, version, ...) \
  TRIGGERFISH_PLUGIN_WITH_CONFIG(name, version, ::triggerfish::sdk::NoConfig, __VA_ARGS__)

// As TRIGGERFISH_PLUGIN, with a plugin-level Config class (see top of file).
#define TRIGGERFISH_PLUGIN_WITH_CONFIG(name, version, ConfigType, ...)                     \
  static_assert(::triggerfish::sdk::internal::IsPluginName(name),                          \
                "triggerfish: the plugin name must be non-empty [a-z0-9_]");               \
  static_assert(::triggerfish::sdk::internal::CheckActions<__VA_ARGS__>());                \
  static_assert(::triggerfish::sdk::internal::TypesArePrefixed<__VA_ARGS__>(name),         \
                "triggerfish: every action's kType must be \"<plugin name>.<action>\" "    \
                "with the plugin name given to TRIGGERFISH_PLUGIN, and appear only once"); \
  extern "C" const tf_plugin_descriptor* TriggerfishPluginDescriptor(void) {               \
    static const ::triggerfish::sdk::internal::PluginTable<ConfigType, __VA_ARGS__> table( \
        name, version, TRIGGERFISH_PLUGIN_BUILD_INFO);                                     \
    return &table.descriptor();                                                            \
  }                                                                                        \
  BOOST_DLL_ALIAS(TriggerfishPluginDescriptor, tf_plugin_entry_v1)                         \
  static_assert(true, "so that the macro takes a semicolon")
