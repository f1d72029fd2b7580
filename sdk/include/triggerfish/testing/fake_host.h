// FakeHost: an in-memory Triggerfish host for plugin unit tests.
//
// It implements every function of tf_host_api without a server: key-value
// state and timers live in maps, the clock only moves when the test moves it,
// log lines are captured, and the agent directory is whatever the test
// configures. It loads a plugin either from a descriptor linked into the test
// or from a built module file, and runs its actions:
//
//   #include <triggerfish/testing/fake_host.h>
//
//   triggerfish::sdk::testing::FakeHost host;
//   host.SetNow(1'700'000'000'000'000);
//   auto plugin = host.LoadModule(PLUGIN_PATH);           // or Load(descriptor)
//   auto out = plugin->Execute("notes.add", {{"tag", "vip"}}, {{"id", "T1"}});
//   EXPECT_EQ(out.code, TF_OK);
//   EXPECT_EQ(out.patch()["add_tags"][0], "vip");
//
// FakeHost does not validate params against the action's schema (the server
// and tf-plugin-check do). Failures of the harness itself (unknown action,
// init failure, unloadable module) throw std::runtime_error.
//
// Thread safety: all methods and host callbacks are thread-safe, so plugins
// may be exercised from several threads. A FakeHost must outlive the plugins
// it loaded.
#pragma once

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <triggerfish/plugin_abi.h>

namespace triggerfish::sdk::testing {

// How FakeHost::Plugin::Execute calls an action.
struct ExecuteOptions {
  std::string tenant = "default";
  std::string operation_id = "op-1";
  uint32_t attempt = 1;
  int64_t deadline_unix_micros = 0;
};

class FakeHost {
 public:
  using Json = nlohmann::json;

  struct LogLine {
    int32_t level;  // tf_log_level
    std::string message;
  };

  struct Timer {
    std::string tenant;
    std::string plugin;
    std::string key;
    std::string ticket_id;
    std::string event_type;
    int64_t due_unix_micros = 0;
    Json payload;
  };

  // Who is executing: the namespace of state and timers.
  struct Scope {
    std::string tenant = "default";
    std::string plugin;
    std::string ticket_id;
  };

  // An execution context handle for calling tf_execute_fn directly (the
  // plugin loader tests and tf-plugin-check do). Lives as long as the object.
  class Execution {
   public:
    Execution(FakeHost* host, Scope scope) : host_(host), scope_(std::move(scope)) {}
    tf_exec_ctx* ctx() { return reinterpret_cast<tf_exec_ctx*>(this); }
    const Scope& scope() const { return scope_; }

   private:
    friend class FakeHost;
    FakeHost* host_;
    Scope scope_;
  };

  // What an action returned: its code, the raw bytes it wrote and their
  // parse (null if they were not JSON).
  struct Outcome {
    int32_t code = TF_PERMANENT;
    std::string raw;
    Json result;

    // result["ticket_patch"], or null.
    Json patch() const {
      return result.is_object() ? result.value("ticket_patch", Json()) : Json();
    }
    // result["message"], or "".
    std::string message() const {
      return result.is_object() ? result.value("message", std::string()) : std::string();
    }
  };

  // A plugin initialised against this host; destroyed with the object.
  class Plugin {
   public:
    Plugin(FakeHost* host, const tf_plugin_descriptor* descriptor, tf_plugin_instance* instance)
        : host_(host), descriptor_(descriptor), instance_(instance) {}
    Plugin(const Plugin&) = delete;
    Plugin& operator=(const Plugin&) = delete;
    ~Plugin() { descriptor_->destroy(instance_); }

    const tf_plugin_descriptor& descriptor() const { return *descriptor_; }

    // The action descriptor of `type`, or nullptr.
    const tf_action_descriptor* FindAction(std::string_view type) const {
      for (size_t i = 0; i < descriptor_->action_count; ++i) {
        if (type == descriptor_->actions[i]->type) return descriptor_->actions[i];
      }
      return nullptr;
    }

    // Runs action `type` on `ticket` for `event`. Throws std::runtime_error
    // if the plugin has no such action.
    Outcome Execute(std::string_view type, const Json& params, const Json& ticket,
                    const Json& event = Json::object(), const ExecuteOptions& options = {}) {
      std::string ticket_id;
      if (ticket.is_object() && ticket.contains("id") && ticket["id"].is_string()) {
        ticket_id = ticket["id"].get<std::string>();
      }
      return ExecuteText(type, params.dump(), ticket.dump(), event.dump(), ticket_id, options);
    }

    // As Execute, with the JSON documents passed as text exactly as given
    // (e.g. to test how an action handles malformed input).
    Outcome ExecuteText(std::string_view type, std::string_view params_json,
                        std::string_view ticket_json, std::string_view event_json,
                        const std::string& ticket_id = "", const ExecuteOptions& options = {}) {
      const tf_action_descriptor* action = FindAction(type);
      if (action == nullptr) {
        throw std::runtime_error("plugin '" + std::string(descriptor_->name) + "' has no action '" +
                                 std::string(type) + "'");
      }
      Execution execution(host_, Scope{options.tenant, descriptor_->name, ticket_id});
      tf_execute_request request{};
      request.struct_size = sizeof(request);
      request.attempt = options.attempt;
      request.ctx = execution.ctx();
      request.params_json = {params_json.data(), params_json.size()};
      request.ticket_json = {ticket_json.data(), ticket_json.size()};
      request.event_json = {event_json.data(), event_json.size()};
      request.operation_id = {options.operation_id.data(), options.operation_id.size()};
      request.deadline_unix_micros = options.deadline_unix_micros;
      Outcome outcome;
      tf_sink sink = StringSink(&outcome.raw);
      outcome.code = action->execute(instance_, &request, &sink);
      outcome.result = Json::parse(outcome.raw.empty() ? std::string("{}") : outcome.raw, nullptr,
                                   /*allow_exceptions=*/false);
      if (outcome.result.is_discarded()) outcome.result = nullptr;
      return outcome;
    }

   private:
    FakeHost* host_;
    const tf_plugin_descriptor* descriptor_;
    tf_plugin_instance* instance_;
  };

  FakeHost() {
    api_.struct_size = sizeof(tf_host_api);
    api_.abi_major = TF_ABI_MAJOR;
    api_.abi_minor = TF_ABI_MINOR;
    api_.host = reinterpret_cast<tf_host*>(this);
    api_.log = &LogCb;
    api_.now_unix_micros = &NowCb;
    api_.state_get = &StateGetCb;
    api_.state_put = &StatePutCb;
    api_.state_compare_and_set = &StateCasCb;
    api_.state_increment = &StateIncrementCb;
    api_.schedule_timer = &ScheduleTimerCb;
    api_.cancel_timer = &CancelTimerCb;
    api_.directory_group_agents = &GroupAgentsCb;
    api_.directory_agent_open_ticket_count = &OpenTicketCountCb;
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  // The table to pass to a plugin's init.
  const tf_host_api* api() const { return &api_; }

  // Initialises the plugin behind `descriptor` with `config`. Throws
  // std::runtime_error with the plugin's message if init fails or the
  // descriptor is unusable.
  std::unique_ptr<Plugin> Load(const tf_plugin_descriptor* descriptor,
                               const Json& config = Json::object()) {
    if (descriptor == nullptr || descriptor->magic != TF_PLUGIN_MAGIC ||
        descriptor->abi_major != TF_ABI_MAJOR || descriptor->init == nullptr ||
        descriptor->destroy == nullptr) {
      throw std::runtime_error("not a Triggerfish ABI v1 plugin descriptor");
    }
    std::string config_text = config.dump();
    std::string error;
    tf_sink sink = StringSink(&error);
    tf_plugin_instance* instance = nullptr;
    int32_t code =
        descriptor->init(&api_, config_text.data(), config_text.size(), &instance, &sink);
    if (code != TF_OK) throw std::runtime_error("plugin init failed: " + error);
    return std::make_unique<Plugin>(this, descriptor, instance);
  }

  // Loads a built module (RTLD_NOW | RTLD_LOCAL; never unloaded) and
  // initialises it as Load does.
  std::unique_ptr<Plugin> LoadModule(const std::string& path, const Json& config = Json::object()) {
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) throw std::runtime_error("dlopen failed: " + std::string(dlerror()));
    void* symbol = dlsym(handle, TF_PLUGIN_ENTRY_SYMBOL);
    if (symbol == nullptr) {
      throw std::runtime_error(path + " does not export " TF_PLUGIN_ENTRY_SYMBOL);
    }
    auto entry = reinterpret_cast<tf_plugin_entry_fn>(*static_cast<const void* const*>(symbol));
    return Load(entry(), config);
  }

  // A context for calling execute functions by hand.
  std::unique_ptr<Execution> NewExecution(Scope scope) {
    return std::make_unique<Execution>(this, std::move(scope));
  }

  // --- Clock ---------------------------------------------------------------
  int64_t NowUnixMicros() const {
    std::lock_guard lock(mu_);
    return now_;
  }
  void SetNow(int64_t unix_micros) {
    std::lock_guard lock(mu_);
    now_ = unix_micros;
  }
  void Advance(std::chrono::microseconds by) {
    std::lock_guard lock(mu_);
    now_ += by.count();
  }

  // --- Logs ----------------------------------------------------------------
  std::vector<LogLine> logs() const {
    std::lock_guard lock(mu_);
    return logs_;
  }
  // True if a captured line contains `text`.
  bool HasLog(std::string_view text) const {
    std::lock_guard lock(mu_);
    return std::any_of(logs_.begin(), logs_.end(), [&](const LogLine& line) {
      return line.message.find(text) != std::string::npos;
    });
  }

  // --- State (as plugins see it, per tenant and plugin) ---------------------
  std::optional<std::string> GetState(std::string_view plugin, std::string_view key,
                                      std::string_view tenant = "default") const {
    std::lock_guard lock(mu_);
    auto it = state_.find(StateKey(tenant, plugin, key));
    if (it == state_.end()) return std::nullopt;
    return it->second;
  }
  void PutState(std::string_view plugin, std::string_view key, std::string value,
                std::string_view tenant = "default") {
    std::lock_guard lock(mu_);
    state_[StateKey(tenant, plugin, key)] = std::move(value);
  }
  // Makes every state and timer call fail with `status` (a tf_host_status);
  // TF_HOST_OK restores normal behaviour.
  void SetStorageFailure(int32_t status) {
    std::lock_guard lock(mu_);
    storage_failure_ = status;
  }

  // --- Timers -------------------------------------------------------------
  // Pending timers ordered by due time.
  std::vector<Timer> timers() const {
    std::lock_guard lock(mu_);
    std::vector<Timer> out;
    for (const auto& [key, timer] : timers_) out.push_back(timer);
    std::stable_sort(out.begin(), out.end(), [](const Timer& a, const Timer& b) {
      return a.due_unix_micros < b.due_unix_micros;
    });
    return out;
  }
  // Removes and returns the timers due at the current time, by due time.
  std::vector<Timer> TakeDueTimers() {
    std::vector<Timer> due;
    for (Timer& t : timers()) {
      if (t.due_unix_micros <= NowUnixMicros()) due.push_back(std::move(t));
    }
    std::lock_guard lock(mu_);
    for (const Timer& t : due) timers_.erase(StateKey(t.tenant, t.plugin, t.key));
    return due;
  }

  // --- Directory ----------------------------------------------------------
  // `agents` is a JSON array of Agent objects (see plugin_abi.h).
  void SetGroupAgents(const std::string& group_id, Json agents) {
    std::lock_guard lock(mu_);
    groups_[group_id] = std::move(agents);
  }
  void SetOpenTicketCount(const std::string& agent_id, int64_t count) {
    std::lock_guard lock(mu_);
    open_tickets_[agent_id] = count;
  }

  // A sink appending to *out.
  static tf_sink StringSink(std::string* out) {
    return tf_sink{out, [](void* opaque, const char* data, size_t size) -> int32_t {
                     static_cast<std::string*>(opaque)->append(data, size);
                     return 0;
                   }};
  }

 private:
  using Key = std::tuple<std::string, std::string, std::string>;

  static Key StateKey(std::string_view tenant, std::string_view plugin, std::string_view key) {
    return Key(tenant, plugin, key);
  }
  static FakeHost* Self(tf_host* host) { return reinterpret_cast<FakeHost*>(host); }
  static Execution* Exec(tf_exec_ctx* ctx) { return reinterpret_cast<Execution*>(ctx); }
  static std::string_view View(tf_str s) { return std::string_view(s.data, s.size); }
  static bool ValidKey(tf_str key) { return key.size > 0 && key.size <= 256; }

  // Common checks of context-bound calls; returns TF_HOST_OK to proceed.
  static int32_t Begin(tf_exec_ctx* ctx, tf_str key) {
    if (ctx == nullptr) return TF_HOST_UNSUPPORTED;
    if (!ValidKey(key)) return TF_HOST_INVALID_ARGUMENT;
    return Exec(ctx)->host_->storage_failure_;
  }

  static void LogCb(tf_host* host, int32_t level, const char* message, size_t size) {
    FakeHost* self = Self(host);
    std::lock_guard lock(self->mu_);
    self->logs_.push_back(LogLine{level, std::string(message, size)});
  }
  static int64_t NowCb(tf_host* host) { return Self(host)->NowUnixMicros(); }

  static int32_t StateGetCb(tf_exec_ctx* ctx, tf_str key, tf_sink* value_out) {
    Execution* e = Exec(ctx);
    std::lock_guard lock(e == nullptr ? dummy_mu() : e->host_->mu_);
    if (int32_t status = Begin(ctx, key); status != TF_HOST_OK) return status;
    auto& state = e->host_->state_;
    auto it = state.find(StateKey(e->scope_.tenant, e->scope_.plugin, View(key)));
    if (it == state.end()) return TF_HOST_NOT_FOUND;
    return value_out->write(value_out->opaque, it->second.data(), it->second.size()) == 0
               ? TF_HOST_OK
               : TF_HOST_INVALID_ARGUMENT;
  }
  static int32_t StatePutCb(tf_exec_ctx* ctx, tf_str key, tf_str value) {
    Execution* e = Exec(ctx);
    std::lock_guard lock(e == nullptr ? dummy_mu() : e->host_->mu_);
    if (int32_t status = Begin(ctx, key); status != TF_HOST_OK) return status;
    Key k = StateKey(e->scope_.tenant, e->scope_.plugin, View(key));
    if (value.data == nullptr) {
      e->host_->state_.erase(k);
    } else {
      e->host_->state_[k] = std::string(View(value));
    }
    return TF_HOST_OK;
  }
  static int32_t StateCasCb(tf_exec_ctx* ctx, tf_str key, const tf_str* expected, tf_str desired) {
    Execution* e = Exec(ctx);
    std::lock_guard lock(e == nullptr ? dummy_mu() : e->host_->mu_);
    if (int32_t status = Begin(ctx, key); status != TF_HOST_OK) return status;
    auto& state = e->host_->state_;
    Key k = StateKey(e->scope_.tenant, e->scope_.plugin, View(key));
    auto it = state.find(k);
    bool matches = expected == nullptr ? it == state.end()
                                       : it != state.end() && it->second == View(*expected);
    if (!matches) return TF_HOST_CONFLICT;
    state[k] = std::string(View(desired));
    return TF_HOST_OK;
  }
  static int32_t StateIncrementCb(tf_exec_ctx* ctx, tf_str key, int64_t delta, int64_t* out) {
    Execution* e = Exec(ctx);
    std::lock_guard lock(e == nullptr ? dummy_mu() : e->host_->mu_);
    if (int32_t status = Begin(ctx, key); status != TF_HOST_OK) return status;
    auto& state = e->host_->state_;
    Key k = StateKey(e->scope_.tenant, e->scope_.plugin, View(key));
    int64_t current = 0;
    if (auto it = state.find(k); it != state.end()) {
      size_t used = 0;
      try {
        current = std::stoll(it->second, &used);
      } catch (const std::exception&) {
        return TF_HOST_CONFLICT;
      }
      if (used != it->second.size()) return TF_HOST_CONFLICT;
    }
    int64_t sum = 0;
    if (__builtin_add_overflow(current, delta, &sum)) return TF_HOST_CONFLICT;
    state[k] = std::to_string(sum);
    *out = sum;
    return TF_HOST_OK;
  }
  static int32_t ScheduleTimerCb(tf_exec_ctx* ctx, tf_str key, int64_t due, tf_str event_type,
                                 tf_str payload) {
    Execution* e = Exec(ctx);
    std::lock_guard lock(e == nullptr ? dummy_mu() : e->host_->mu_);
    if (int32_t status = Begin(ctx, key); status != TF_HOST_OK) return status;
    if (event_type.size == 0) return TF_HOST_INVALID_ARGUMENT;
    Json payload_json;
    if (payload.size > 0) {
      payload_json = Json::parse(View(payload), nullptr, /*allow_exceptions=*/false);
      if (payload_json.is_discarded()) return TF_HOST_INVALID_ARGUMENT;
    }
    const Scope& s = e->scope_;
    e->host_->timers_[StateKey(s.tenant, s.plugin, View(key))] =
        Timer{s.tenant,
              s.plugin,
              std::string(View(key)),
              s.ticket_id,
              std::string(View(event_type)),
              due,
              std::move(payload_json)};
    return TF_HOST_OK;
  }
  static int32_t CancelTimerCb(tf_exec_ctx* ctx, tf_str key) {
    Execution* e = Exec(ctx);
    std::lock_guard lock(e == nullptr ? dummy_mu() : e->host_->mu_);
    if (int32_t status = Begin(ctx, key); status != TF_HOST_OK) return status;
    e->host_->timers_.erase(StateKey(e->scope_.tenant, e->scope_.plugin, View(key)));
    return TF_HOST_OK;
  }
  static int32_t GroupAgentsCb(tf_exec_ctx* ctx, tf_str group_id, tf_sink* out) {
    if (ctx == nullptr) return TF_HOST_UNSUPPORTED;
    FakeHost* host = Exec(ctx)->host_;
    std::string text;
    {
      std::lock_guard lock(host->mu_);
      auto it = host->groups_.find(std::string(View(group_id)));
      text = it == host->groups_.end() ? "[]" : it->second.dump();
    }
    return out->write(out->opaque, text.data(), text.size()) == 0 ? TF_HOST_OK
                                                                  : TF_HOST_INVALID_ARGUMENT;
  }
  static int32_t OpenTicketCountCb(tf_exec_ctx* ctx, tf_str agent_id, int64_t* count) {
    if (ctx == nullptr) return TF_HOST_UNSUPPORTED;
    FakeHost* host = Exec(ctx)->host_;
    std::lock_guard lock(host->mu_);
    auto it = host->open_tickets_.find(std::string(View(agent_id)));
    *count = it == host->open_tickets_.end() ? 0 : it->second;
    return TF_HOST_OK;
  }
  static std::mutex& dummy_mu() {
    static std::mutex mu;
    return mu;
  }

  tf_host_api api_{};
  mutable std::mutex mu_;
  int64_t now_ = 0;
  int32_t storage_failure_ = TF_HOST_OK;
  std::vector<LogLine> logs_;
  std::map<Key, std::string> state_;
  std::map<Key, Timer> timers_;
  std::map<std::string, Json> groups_;
  std::map<std::string, int64_t> open_tickets_;
};

}  // namespace triggerfish::sdk::testing
