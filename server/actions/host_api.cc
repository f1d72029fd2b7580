#include "server/actions/host_api.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>
#include <mutex>

#include "nlohmann/json.hpp"
#include "server/actions/plugin_json.h"
#include "server/store/store.h"
#include "spdlog/spdlog.h"

namespace triggerfish::server::actions {
namespace {

constexpr size_t kMaxKeyBytes = 256;

std::string Str(tf_str s) {
  return s.data == nullptr ? std::string() : std::string(s.data, s.size);
}

bool ValidKey(tf_str key) {
  return key.data != nullptr && key.size > 0 && key.size <= kMaxKeyBytes;
}

void Log(tf_host*, int32_t level, const char* message, size_t size) {
  const std::string_view text(message, size);
  switch (level) {
    case TF_LOG_TRACE:
      spdlog::trace("{}", text);
      break;
    case TF_LOG_DEBUG:
      spdlog::debug("{}", text);
      break;
    case TF_LOG_INFO:
      spdlog::info("{}", text);
      break;
    case TF_LOG_WARN:
      spdlog::warn("{}", text);
      break;
    default:
      spdlog::error("{}", text);
      break;
  }
}

int64_t Now(tf_host*) {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Holds an inline call's unit of work against its caller abandoning the
// call (see tf_exec_ctx); revoked() once it has.
class WorkGuard {
 public:
  explicit WorkGuard(tf_exec_ctx* ctx) {
    if (ctx == nullptr || ctx->work == nullptr) return;
    lock_ = std::unique_lock(ctx->work_mu);
    revoked_ = ctx->work_revoked;
  }
  bool revoked() const { return revoked_; }

 private:
  std::unique_lock<std::mutex> lock_;
  bool revoked_ = false;
};

bool HasState(tf_exec_ctx* ctx) {
  return ctx != nullptr && (ctx->work != nullptr || ctx->services != nullptr);
}

// Reads the current value; writes nothing to `status` on success.
std::optional<std::optional<std::string>> Current(tf_exec_ctx* ctx, tf_str key, int32_t* status) {
  auto value = ctx->work != nullptr
                   ? ctx->work->GetState(ctx->plugin, Str(key))
                   : ctx->services->store->GetPluginState(ctx->tenant, ctx->plugin, Str(key));
  if (!value.ok()) {
    spdlog::warn("plugin {}: state read failed: {}", ctx->plugin,
                 std::string(value.status().message()));
    *status = TF_HOST_UNAVAILABLE;
    return std::nullopt;
  }
  return *value;
}

// Writes `value` (nullopt deletes): into the unit of work, or straight to
// the store for deferred actions.
int32_t Write(tf_exec_ctx* ctx, const std::string& key, std::optional<std::string> value) {
  if (ctx->work != nullptr) {
    ctx->work->PutState(ctx->plugin, key, std::move(value));
    return TF_HOST_OK;
  }
  auto s = ctx->services->store->PutPluginState(ctx->tenant, ctx->plugin, key, std::move(value));
  if (ctx->services->cache != nullptr) ctx->services->cache->Invalidate(ctx->tenant);
  return s.ok() ? TF_HOST_OK : TF_HOST_UNAVAILABLE;
}

// Compare-and-set straight in the store (deferred actions).
int32_t DirectCas(tf_exec_ctx* ctx, const std::string& key,
                  const std::optional<std::string>& expected, const std::string& desired) {
  auto done = ctx->services->store->CompareAndSetPluginState(ctx->tenant, ctx->plugin, key,
                                                             expected, desired);
  if (!done.ok()) return TF_HOST_UNAVAILABLE;
  if (ctx->services->cache != nullptr) ctx->services->cache->Invalidate(ctx->tenant);
  return *done ? TF_HOST_OK : TF_HOST_CONFLICT;
}

int32_t StateGet(tf_exec_ctx* ctx, tf_str key, tf_sink* out) {
  if (!HasState(ctx)) return TF_HOST_UNSUPPORTED;
  WorkGuard guard(ctx);
  if (guard.revoked()) return TF_HOST_UNAVAILABLE;
  if (!ValidKey(key) || out == nullptr) return TF_HOST_INVALID_ARGUMENT;
  int32_t status = TF_HOST_OK;
  auto value = Current(ctx, key, &status);
  if (!value) return status;
  if (!value->has_value()) return TF_HOST_NOT_FOUND;
  if (out->write(out->opaque, (*value)->data(), (*value)->size()) != 0) {
    return TF_HOST_INVALID_ARGUMENT;
  }
  return TF_HOST_OK;
}

int32_t StatePut(tf_exec_ctx* ctx, tf_str key, tf_str value) {
  if (!HasState(ctx)) return TF_HOST_UNSUPPORTED;
  WorkGuard guard(ctx);
  if (guard.revoked()) return TF_HOST_UNAVAILABLE;
  if (!ValidKey(key)) return TF_HOST_INVALID_ARGUMENT;
  return Write(ctx, Str(key), value.data == nullptr ? std::nullopt : std::optional(Str(value)));
}

int32_t StateCompareAndSet(tf_exec_ctx* ctx, tf_str key, const tf_str* expected, tf_str desired) {
  if (!HasState(ctx)) return TF_HOST_UNSUPPORTED;
  WorkGuard guard(ctx);
  if (guard.revoked()) return TF_HOST_UNAVAILABLE;
  if (!ValidKey(key)) return TF_HOST_INVALID_ARGUMENT;
  if (ctx->work == nullptr) {
    return DirectCas(ctx, Str(key),
                     expected == nullptr ? std::nullopt : std::optional(Str(*expected)),
                     Str(desired));
  }
  int32_t status = TF_HOST_OK;
  auto value = Current(ctx, key, &status);
  if (!value) return status;
  const bool matches =
      expected == nullptr ? !value->has_value() : value->has_value() && **value == Str(*expected);
  if (!matches) return TF_HOST_CONFLICT;
  ctx->work->PutState(ctx->plugin, Str(key), Str(desired));
  return TF_HOST_OK;
}

int32_t StateIncrement(tf_exec_ctx* ctx, tf_str key, int64_t delta, int64_t* new_value) {
  if (!HasState(ctx)) return TF_HOST_UNSUPPORTED;
  WorkGuard guard(ctx);
  if (guard.revoked()) return TF_HOST_UNAVAILABLE;
  if (!ValidKey(key)) return TF_HOST_INVALID_ARGUMENT;
  // Deferred actions may race with each other: retry the compare-and-set.
  for (int attempt = 0; attempt < 16; ++attempt) {
    int32_t status = TF_HOST_OK;
    auto value = Current(ctx, key, &status);
    if (!value) return status;
    int64_t current = 0;
    if (value->has_value()) {
      const std::string& text = **value;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), current);
      if (ec != std::errc() || ptr != text.data() + text.size()) return TF_HOST_CONFLICT;
    }
    int64_t sum = 0;
    if (__builtin_add_overflow(current, delta, &sum)) return TF_HOST_CONFLICT;
    if (ctx->work != nullptr) {
      ctx->work->PutState(ctx->plugin, Str(key), std::to_string(sum));
    } else if (int32_t s = DirectCas(ctx, Str(key), *value, std::to_string(sum)); s != TF_HOST_OK) {
      if (s == TF_HOST_CONFLICT) continue;
      return s;
    }
    if (new_value != nullptr) *new_value = sum;
    return TF_HOST_OK;
  }
  return TF_HOST_UNAVAILABLE;
}

int32_t ScheduleTimer(tf_exec_ctx* ctx, tf_str key, int64_t due, tf_str event_type,
                      tf_str payload_json) {
  if (ctx == nullptr || ctx->work == nullptr) return TF_HOST_UNSUPPORTED;
  WorkGuard guard(ctx);
  if (guard.revoked()) return TF_HOST_UNAVAILABLE;
  if (!ValidKey(key) || event_type.size == 0 || ctx->ticket_id.empty()) {
    return TF_HOST_INVALID_ARGUMENT;
  }
  std::string payload = payload_json.size == 0 ? "null" : Str(payload_json);
  if (!nlohmann::json::accept(payload)) return TF_HOST_INVALID_ARGUMENT;
  ctx->work->ChangeTimer(
      {ctx->plugin, Str(key), ctx->ticket_id, false, due, Str(event_type), std::move(payload)});
  return TF_HOST_OK;
}

int32_t CancelTimer(tf_exec_ctx* ctx, tf_str key) {
  if (ctx == nullptr || ctx->work == nullptr) return TF_HOST_UNSUPPORTED;
  WorkGuard guard(ctx);
  if (guard.revoked()) return TF_HOST_UNAVAILABLE;
  if (!ValidKey(key)) return TF_HOST_INVALID_ARGUMENT;
  ctx->work->ChangeTimer({ctx->plugin, Str(key), ctx->ticket_id, true, 0, "", ""});
  return TF_HOST_OK;
}

nlohmann::json AgentJson(const v1::Agent& agent) {
  nlohmann::json j = {{"id", agent.id()},
                      {"name", agent.name()},
                      {"email", agent.email()},
                      {"available", agent.available()},
                      {"max_open_tickets", agent.max_open_tickets()},
                      {"skills", nlohmann::json::array()},
                      {"groups", nlohmann::json::array()}};
  for (const auto& skill : agent.skills()) j["skills"].push_back(skill);
  for (const auto& group : agent.groups()) j["groups"].push_back(group);
  return j;
}

int32_t GroupAgents(tf_exec_ctx* ctx, tf_str group, tf_sink* out) {
  if (ctx == nullptr || ctx->services == nullptr) return TF_HOST_UNSUPPORTED;
  if (group.size == 0 || out == nullptr) return TF_HOST_INVALID_ARGUMENT;
  auto agents = ctx->services->agents->Agents(ctx->tenant);
  if (!agents.ok()) return TF_HOST_UNAVAILABLE;
  const std::string name = Str(group);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [id, agent] : **agents) {
    if (std::find(agent.groups().begin(), agent.groups().end(), name) != agent.groups().end()) {
      list.push_back(AgentJson(agent));
    }
  }
  const std::string text = list.dump();
  return out->write(out->opaque, text.data(), text.size()) == 0 ? TF_HOST_OK
                                                                : TF_HOST_INVALID_ARGUMENT;
}

int32_t OpenTicketCount(tf_exec_ctx* ctx, tf_str agent, int64_t* count) {
  if (ctx == nullptr || ctx->services == nullptr) return TF_HOST_UNSUPPORTED;
  if (agent.size == 0 || count == nullptr) return TF_HOST_INVALID_ARGUMENT;
  auto n = ctx->services->store->OpenTicketCount(ctx->tenant, Str(agent));
  if (!n.ok()) return TF_HOST_UNAVAILABLE;
  *count = *n;
  return TF_HOST_OK;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const std::map<std::string, v1::Agent>>> AgentCache::Agents(
    const std::string& tenant) {
  {
    std::lock_guard lock(mu_);
    auto it = tenants_.find(tenant);
    if (it != tenants_.end()) return it->second;
  }
  auto agents = store_->ListAgents(tenant, "", std::numeric_limits<int>::max(), "", std::nullopt);
  if (!agents.ok()) return agents.status();
  auto map = std::make_shared<std::map<std::string, v1::Agent>>();
  for (auto& agent : *agents) (*map)[agent.id()] = std::move(agent);
  std::lock_guard lock(mu_);
  // An Invalidate that raced with this load wins on the next call.
  return tenants_.try_emplace(tenant, std::move(map)).first->second;
}

void AgentCache::Invalidate(const std::string& tenant) {
  std::lock_guard lock(mu_);
  tenants_.erase(tenant);
}

nlohmann::json TicketJsonForPlugins(const v1::Ticket& ticket, const std::string& tenant,
                                    const HostServices* services) {
  nlohmann::json j = TicketToJson(ticket);
  if (services != nullptr && !ticket.assignee_id().empty()) {
    auto agents = services->agents->Agents(tenant);
    if (agents.ok()) {
      auto it = (*agents)->find(ticket.assignee_id());
      if (it != (*agents)->end()) {
        j["assignee"] = {
            {"id", it->second.id()}, {"name", it->second.name()}, {"email", it->second.email()}};
      }
    }
  }
  return j;
}

const tf_host_api* ServerHostApi() {
  static const tf_host_api api = [] {
    tf_host_api a{};
    a.struct_size = sizeof(tf_host_api);
    a.abi_major = TF_ABI_MAJOR;
    a.abi_minor = TF_ABI_MINOR;
    a.host = nullptr;
    a.log = &Log;
    a.now_unix_micros = &Now;
    a.state_get = &StateGet;
    a.state_put = &StatePut;
    a.state_compare_and_set = &StateCompareAndSet;
    a.state_increment = &StateIncrement;
    a.schedule_timer = &ScheduleTimer;
    a.cancel_timer = &CancelTimer;
    a.directory_group_agents = &GroupAgents;
    a.directory_agent_open_ticket_count = &OpenTicketCount;
    return a;
  }();
  return &api;
}

}  // namespace triggerfish::server::actions
