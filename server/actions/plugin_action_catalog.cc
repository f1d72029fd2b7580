#include "server/actions/plugin_action_catalog.h"

#include <cctype>

#include "server/actions/host_api.h"
#include "server/actions/plugin_json.h"
#include "server/common/strings.h"
#include "server/observability/metrics.h"
#include "server/plugins/call_watch.h"

namespace triggerfish::server::actions {

std::string JsonPointerToPath(std::string_view pointer) {
  std::string out;
  size_t pos = 0;
  while (pos < pointer.size()) {
    if (pointer[pos] != '/') break;
    size_t end = pointer.find('/', pos + 1);
    if (end == std::string_view::npos) end = pointer.size();
    std::string token(pointer.substr(pos + 1, end - pos - 1));
    // Unescape ~1 and ~0 (RFC 6901).
    for (size_t i = 0; (i = token.find('~', i)) != std::string::npos; ++i) {
      if (i + 1 < token.size()) token.replace(i, 2, token[i + 1] == '1' ? "/" : "~");
    }
    const bool index = !token.empty() && std::all_of(token.begin(), token.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c));
    });
    out += index ? StrCat("[", token, "]") : StrCat(".", token);
    pos = end;
  }
  return out;
}

engine::ActionOutcome ToActionOutcome(const plugins::ExecuteOutcome& outcome) {
  engine::ActionOutcome out;
  switch (outcome.code) {
    case plugins::ResultCode::kOk:
      out.code = engine::ActionOutcome::Code::kOk;
      break;
    case plugins::ResultCode::kRetryable:
      out.code = engine::ActionOutcome::Code::kRetryable;
      break;
    case plugins::ResultCode::kPermanent:
      out.code = engine::ActionOutcome::Code::kPermanent;
      break;
  }
  const nlohmann::json& result = outcome.result;
  if (result.contains("output")) out.output = JsonToValue(result["output"]);
  if (result.contains("message") && result["message"].is_string()) {
    out.message = result["message"].get<std::string>();
  }
  if (out.code != engine::ActionOutcome::Code::kOk) {
    if (!outcome.error.empty()) out.message = outcome.error;
    return out;
  }
  if (result.contains("ticket_patch")) {
    auto patch = PatchFromJson(result["ticket_patch"]);
    if (!patch.ok()) {
      out.code = engine::ActionOutcome::Code::kPermanent;
      out.message = StrCat("invalid ticket_patch: ", patch.status().message());
      return out;
    }
    out.patch = std::move(*patch);
  }
  return out;
}

std::optional<engine::ActionMode> PluginActionCatalog::ModeOf(std::string_view type) const {
  const plugins::ActionInfo* action = host_->FindAction(type);
  if (action == nullptr) return std::nullopt;
  return action->mode == plugins::ActionMode::kInline ? engine::ActionMode::kInline
                                                      : engine::ActionMode::kDeferred;
}

void PluginActionCatalog::ValidateParams(std::string_view type,
                                         const google::protobuf::Struct& params,
                                         const std::string& path, Violations* violations) const {
  auto result = host_->ValidateParams(type, StructToJson(params));
  if (!result.ok()) {
    violations->Add(path, std::string(result.status().message()));
    return;
  }
  for (const auto& v : *result) violations->Add(path + JsonPointerToPath(v.path), v.message);
}

namespace {

engine::ActionOutcome Abandoned(std::chrono::milliseconds timeout) {
  engine::ActionOutcome out;
  out.code = engine::ActionOutcome::Code::kRetryable;
  out.message = plugins::AbandonedCallMessage(timeout);
  return out;
}

}  // namespace

engine::ActionOutcome PluginActionCatalog::RunInline(const engine::ActionRequest& request) const {
  plugins::CallWatch* watch = plugins::CallWatch::Current();
  // A written-off cycle worker back from a plugin: nothing more to run.
  if (watch != nullptr && watch->written_off()) return Abandoned(inline_timeout_);
  // Everything the plugin can reach is owned by `call`, which a worker of
  // the pool keeps alive if the call is abandoned there.
  struct Call {
    tf_exec_ctx ctx;
    std::string type;
    std::string params;
    std::string ticket;
    std::string event;
    std::string operation_id;
    plugins::ExecuteOutcome outcome;
  };
  auto call = std::make_shared<Call>();
  call->ctx.work = request.work;
  call->ctx.services = services_;
  call->ctx.tenant = std::string(request.tenant);
  call->ctx.plugin = std::string(request.type.substr(0, request.type.find('.')));
  call->ctx.ticket_id = request.ticket->id();
  call->type = std::string(request.type);
  call->params = StructToJson(*request.params).dump();
  call->ticket = TicketJsonForPlugins(*request.ticket, call->ctx.tenant, services_).dump();
  call->event = EventToJson(*request.event).dump();
  call->operation_id =
      OperationId(call->ctx.tenant, request.event->id(), request.rule_id, request.action_index);

  const plugins::PluginHost* host = host_;
  const std::chrono::milliseconds timeout = inline_timeout_;
  auto execute = [call, host, timeout] {
    plugins::ExecuteRequest execute;
    execute.ctx = &call->ctx;
    execute.params_json = call->params;
    execute.ticket_json = call->ticket;
    execute.event_json = call->event;
    execute.operation_id = call->operation_id;
    execute.timeout = timeout;
    call->outcome = host->Execute(call->type, execute);
  };
  const auto start = std::chrono::steady_clock::now();
  if (watch != nullptr) {
    // A cycle worker: called right here; the worker's watchdog writes the
    // worker off if the plugin does not return in time, and the event runs
    // again elsewhere without this action (its unit of work goes with the
    // abandoned run, so nothing needs revoking).
    if (!watch->Begin(timeout, request.rule_id, request.action_index, request.type)) {
      return Abandoned(timeout);
    }
    execute();
    if (!watch->End()) return Abandoned(timeout);
  } else if (!pool_->Run(execute, timeout)) {
    // Elsewhere (dry runs on gRPC threads) the call ran on a worker of the
    // pool and may still run: cut it off from the unit of work, which the
    // cycle goes on to use without it.
    {
      std::lock_guard lock(call->ctx.work_mu);
      call->ctx.work_revoked = true;
    }
    if (metrics_ != nullptr && !request.dry_run) {
      metrics_->ActionAbandoned(request.type, /*deferred=*/false);
    }
    return Abandoned(timeout);
  }
  if (metrics_ != nullptr && !request.dry_run) {
    metrics_->ActionDuration(
        request.type, /*deferred=*/false,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return ToActionOutcome(call->outcome);
}

}  // namespace triggerfish::server::actions
