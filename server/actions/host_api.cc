#include "server/actions/host_api.h"

#include <charconv>
#include <chrono>

#include "nlohmann/json.hpp"
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

// Reads the current value; writes nothing to `status` on success.
std::optional<std::optional<std::string>> Current(tf_exec_ctx* ctx, tf_str key, int32_t* status) {
  auto value = ctx->work->GetState(ctx->plugin, Str(key));
  if (!value.ok()) {
    spdlog::warn("plugin {}: state read failed: {}", ctx->plugin,
                 std::string(value.status().message()));
    *status = TF_HOST_UNAVAILABLE;
    return std::nullopt;
  }
  return *value;
}

int32_t StateGet(tf_exec_ctx* ctx, tf_str key, tf_sink* out) {
  if (ctx == nullptr || ctx->work == nullptr) return TF_HOST_UNSUPPORTED;
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
  if (ctx == nullptr || ctx->work == nullptr) return TF_HOST_UNSUPPORTED;
  if (!ValidKey(key)) return TF_HOST_INVALID_ARGUMENT;
  ctx->work->PutState(ctx->plugin, Str(key),
                      value.data == nullptr ? std::nullopt : std::optional(Str(value)));
  return TF_HOST_OK;
}

int32_t StateCompareAndSet(tf_exec_ctx* ctx, tf_str key, const tf_str* expected, tf_str desired) {
  if (ctx == nullptr || ctx->work == nullptr) return TF_HOST_UNSUPPORTED;
  if (!ValidKey(key)) return TF_HOST_INVALID_ARGUMENT;
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
  if (ctx == nullptr || ctx->work == nullptr) return TF_HOST_UNSUPPORTED;
  if (!ValidKey(key)) return TF_HOST_INVALID_ARGUMENT;
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
  ctx->work->PutState(ctx->plugin, Str(key), std::to_string(sum));
  if (new_value != nullptr) *new_value = sum;
  return TF_HOST_OK;
}

int32_t ScheduleTimer(tf_exec_ctx* ctx, tf_str key, int64_t due, tf_str event_type,
                      tf_str payload_json) {
  if (ctx == nullptr || ctx->work == nullptr) return TF_HOST_UNSUPPORTED;
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
  if (!ValidKey(key)) return TF_HOST_INVALID_ARGUMENT;
  ctx->work->ChangeTimer({ctx->plugin, Str(key), ctx->ticket_id, true, 0, "", ""});
  return TF_HOST_OK;
}

// The agent directory comes with the AgentService; until then a plugin that
// asks is told the host does not offer it.
int32_t GroupAgents(tf_exec_ctx*, tf_str, tf_sink*) { return TF_HOST_UNSUPPORTED; }
int32_t OpenTicketCount(tf_exec_ctx*, tf_str, int64_t*) { return TF_HOST_UNSUPPORTED; }

}  // namespace

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
