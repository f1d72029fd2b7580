#include "server/api/plugin_service.h"

#include <algorithm>

#include "server/actions/plugin_json.h"
#include "server/api/auth.h"
#include "server/api/paging.h"
#include "server/api/status.h"
#include "server/common/strings.h"
#include "server/common/violations.h"

namespace triggerfish::server::api {
namespace {

void Fill(const plugins::ActionInfo& info, v1::Action* out) {
  out->set_type(info.type);
  out->set_plugin(info.plugin);
  out->set_mode(info.mode == plugins::ActionMode::kInline ? v1::ACTION_MODE_INLINE
                                                          : v1::ACTION_MODE_DEFERRED);
  out->set_description(info.description);
  if (info.params_schema.is_object()) {
    *out->mutable_params_schema() = actions::JsonToValue(info.params_schema).struct_value();
  }
}

}  // namespace

grpc::Status PluginService::ListPlugins(grpc::ServerContext* context, const v1::ListPluginsRequest*,
                                        v1::ListPluginsResponse* response) {
  auto caller = auth_->Authorize(*context, Method::kListPlugins);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  for (const auto& plugin : host_->plugins()) {
    v1::Plugin* out = response->add_plugins();
    out->set_name(plugin.name);
    out->set_version(plugin.version);
    out->set_build_info(plugin.build_info);
    out->set_abi_version(StrCat(plugin.abi_major, ".", plugin.abi_minor));
    out->set_path(plugin.path.string());
    for (const auto& action : plugin.actions) Fill(action, out->add_actions());
  }
  return grpc::Status::OK;
}

grpc::Status PluginService::ListActions(grpc::ServerContext* context,
                                        const v1::ListActionsRequest* request,
                                        v1::ListActionsResponse* response) {
  auto caller = auth_->Authorize(*context, Method::kListActions);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  bool found = request->plugin().empty();
  std::vector<const plugins::ActionInfo*> actions;
  for (const auto& plugin : host_->plugins()) {
    if (!request->plugin().empty() && plugin.name != request->plugin()) continue;
    found = true;
    for (const auto& action : plugin.actions) actions.push_back(&action);
  }
  if (!found) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        StrCat("plugin \"", request->plugin(), "\" is not loaded"));
  }
  std::sort(actions.begin(), actions.end(),
            [](const auto* a, const auto* b) { return a->type < b->type; });
  for (const auto* action : actions) Fill(*action, response->add_actions());
  return grpc::Status::OK;
}

grpc::Status PluginService::ListPluginState(grpc::ServerContext* context,
                                            const v1::ListPluginStateRequest* request,
                                            v1::ListPluginStateResponse* response) {
  auto caller = auth_->Authorize(*context, Method::kListPluginState);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  Violations v;
  const std::string scope = StrCat("state|", request->plugin(), "|", request->prefix());
  const PageRequest page = ParsePageRequest(request->page_size(), request->page_token(), scope, &v);
  if (!v.empty()) return ToGrpcStatus(v.ToStatus("invalid request"));
  bool loaded = false;
  for (const auto& plugin : host_->plugins()) loaded |= plugin.name == request->plugin();
  if (!loaded) {
    return ToGrpcStatus(
        absl::NotFoundError(StrCat("plugin \"", request->plugin(), "\" is not loaded")));
  }
  const int page_size = page.size;
  auto entries = store_->ListPluginState((*caller)->tenant, request->plugin(), request->prefix(),
                                         page.after, page_size + 1);
  if (!entries.ok()) return ToGrpcStatus(entries.status());
  const bool more = static_cast<int>(entries->size()) > page_size;
  if (more) entries->resize(page_size);
  for (auto& [key, value] : *entries) {
    auto* entry = response->add_entries();
    entry->set_key(key);
    entry->set_value(value);
  }
  if (more) response->set_next_page_token(PageTokenAfter(scope, entries->back().first));
  return grpc::Status::OK;
}

}  // namespace triggerfish::server::api
