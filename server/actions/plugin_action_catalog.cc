#include "server/actions/plugin_action_catalog.h"

#include <cctype>

#include "server/actions/host_api.h"
#include "server/actions/plugin_json.h"
#include "server/common/strings.h"
#include "server/observability/metrics.h"

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

engine::ActionOutcome PluginActionCatalog::RunInline(const engine::ActionRequest& request) const {
  tf_exec_ctx ctx;
  ctx.work = request.work;
  ctx.services = services_;
  ctx.tenant = std::string(request.tenant);
  ctx.plugin = std::string(request.type.substr(0, request.type.find('.')));
  ctx.ticket_id = request.ticket->id();
  const std::string params = StructToJson(*request.params).dump();
  const std::string ticket = TicketJsonForPlugins(*request.ticket, ctx.tenant, services_).dump();
  const std::string event = EventToJson(*request.event).dump();
  const std::string operation_id =
      StrCat(request.event->id(), "/", request.rule_id, "/", request.action_index);
  plugins::ExecuteRequest execute;
  execute.ctx = &ctx;
  execute.params_json = params;
  execute.ticket_json = ticket;
  execute.event_json = event;
  execute.operation_id = operation_id;
  execute.timeout = inline_timeout_;
  if (metrics_ == nullptr || request.dry_run) {
    return ToActionOutcome(host_->Execute(request.type, execute));
  }
  const auto start = std::chrono::steady_clock::now();
  plugins::ExecuteOutcome outcome = host_->Execute(request.type, execute);
  metrics_->ActionDuration(
      request.type, /*deferred=*/false,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return ToActionOutcome(outcome);
}

}  // namespace triggerfish::server::actions
