#include "tools/tfctl/rules_file.h"

#include <set>

#include "tools/tfctl/documents.h"

namespace triggerfish::tfctl {

std::vector<v1::Rule> ReadRulesFile(const std::string& path, bool require_ids) {
  const Json document = ReadDocument(path);
  const Json* list = &document;
  if (document.is_object()) {
    if (!document.contains("rules")) UsageError(path + ": expected a list `rules`");
    list = &document["rules"];
  }
  if (!list->is_array()) UsageError(path + ": expected a list `rules`");
  std::vector<v1::Rule> rules;
  std::set<std::string> ids;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string where = path + ": rules[" + std::to_string(i) + "]";
    v1::Rule rule;
    if (const std::string error = JsonToMessage((*list)[i], &rule); !error.empty()) {
      UsageError(where + ": " + error);
    }
    if (rule.id().empty() && require_ids) UsageError(where + ": `id` is required");
    if (!rule.id().empty() && !ids.insert(rule.id()).second) {
      UsageError(where + ": duplicate id \"" + rule.id() + "\"");
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

Json RuleToFileJson(const v1::Rule& rule) {
  v1::Rule copy = rule;
  copy.clear_revision();
  copy.clear_etag();
  copy.clear_create_time();
  copy.clear_update_time();
  Json out = MessageToJson(copy);
  // Params are a map on the wire: sort their keys so that an export is
  // stable.
  if (out.contains("actions")) {
    for (auto& action : out["actions"]) {
      if (action.contains("params")) action["params"] = Json(nlohmann::json(action["params"]));
    }
  }
  return out;
}

}  // namespace triggerfish::tfctl
