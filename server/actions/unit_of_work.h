#pragma once

// What the inline actions of one event change besides the ticket: plugin
// key-value state and durable timers. The changes are buffered here and
// committed atomically with the event; a dry run (EvaluateEvent) discards
// them. Reads observe the unit's own writes first.
//
// Plugin state is read through a PluginStateCache shared by all units of a
// server: the trigger cycles of one tenant run one at a time (the event
// pipeline queues them per tenant), and a unit's writes are published to the
// cache before the next cycle of that tenant starts, so compare-and-set
// behaves as if every event ran alone.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"

namespace triggerfish::server::store {
class Store;
}

namespace triggerfish::server::actions {

// Committed (or committing) plugin state, loaded lazily from the store.
class PluginStateCache {
 public:
  explicit PluginStateCache(store::Store* store) : store_(store) {}

  absl::StatusOr<std::optional<std::string>> Get(const std::string& tenant,
                                                 const std::string& plugin, const std::string& key);
  // Records values that are being committed (nullopt: deleted).
  void Publish(
      const std::string& tenant,
      const std::map<std::pair<std::string, std::string>, std::optional<std::string>>& writes);
  // Forgets everything of `tenant` (after a failed commit).
  void Invalidate(const std::string& tenant);

 private:
  store::Store* store_;
  std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string>, std::optional<std::string>> values_;
};

struct TimerChange {
  std::string plugin;
  std::string key;
  std::string ticket_id;
  bool cancel = false;
  int64_t due_unix_micros = 0;
  std::string event_type;
  std::string payload_json;
};

class UnitOfWork {
 public:
  using StateKey = std::pair<std::string, std::string>;  // (plugin, key)

  // `cache` may be null (no durable state: reads find nothing).
  UnitOfWork(std::string tenant, PluginStateCache* cache, bool dry_run)
      : tenant_(std::move(tenant)), cache_(cache), dry_run_(dry_run) {}

  const std::string& tenant() const { return tenant_; }
  bool dry_run() const { return dry_run_; }

  absl::StatusOr<std::optional<std::string>> GetState(const std::string& plugin,
                                                      const std::string& key);
  void PutState(const std::string& plugin, const std::string& key,
                std::optional<std::string> value);
  void ChangeTimer(TimerChange change) { timers_.push_back(std::move(change)); }

  const std::map<StateKey, std::optional<std::string>>& state_writes() const { return writes_; }
  const std::vector<TimerChange>& timer_changes() const { return timers_; }

 private:
  std::string tenant_;
  PluginStateCache* cache_;
  bool dry_run_;
  std::map<StateKey, std::optional<std::string>> writes_;
  std::vector<TimerChange> timers_;
};

}  // namespace triggerfish::server::actions
