#include "server/actions/unit_of_work.h"

#include "server/store/store.h"

namespace triggerfish::server::actions {

absl::StatusOr<std::optional<std::string>> PluginStateCache::Get(const std::string& tenant,
                                                                 const std::string& plugin,
                                                                 const std::string& key) {
  auto id = std::make_tuple(tenant, plugin, key);
  {
    std::lock_guard lock(mu_);
    auto it = values_.find(id);
    if (it != values_.end()) return it->second;
  }
  auto value = store_->GetPluginState(tenant, plugin, key);
  if (!value.ok()) return value.status();
  std::lock_guard lock(mu_);
  // A concurrent Publish wins over what was just read.
  auto [it, inserted] = values_.try_emplace(std::move(id), *value);
  return it->second;
}

void PluginStateCache::Publish(
    const std::string& tenant,
    const std::map<std::pair<std::string, std::string>, std::optional<std::string>>& writes) {
  std::lock_guard lock(mu_);
  for (const auto& [plugin_key, value] : writes) {
    values_[std::make_tuple(tenant, plugin_key.first, plugin_key.second)] = value;
  }
}

void PluginStateCache::Invalidate(const std::string& tenant) {
  std::lock_guard lock(mu_);
  for (auto it = values_.begin(); it != values_.end();) {
    it = std::get<0>(it->first) == tenant ? values_.erase(it) : std::next(it);
  }
}

absl::StatusOr<std::optional<std::string>> UnitOfWork::GetState(const std::string& plugin,
                                                                const std::string& key) {
  auto it = writes_.find({plugin, key});
  if (it != writes_.end()) return it->second;
  if (cache_ == nullptr) return std::nullopt;
  return cache_->Get(tenant_, plugin, key);
}

void UnitOfWork::PutState(const std::string& plugin, const std::string& key,
                          std::optional<std::string> value) {
  writes_[{plugin, key}] = std::move(value);
}

}  // namespace triggerfish::server::actions
