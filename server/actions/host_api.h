#pragma once

// The server's side of the plugin ABI: the tf_host_api table every plugin
// receives, and the execution context (tf_exec_ctx) that ties a call to a
// tenant, a plugin, a ticket and a UnitOfWork.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "server/actions/unit_of_work.h"
#include "triggerfish/plugin_abi.h"
#include "triggerfish/v1/agent_service.pb.h"
#include "triggerfish/v1/ticket.pb.h"

namespace triggerfish::server::store {
class Store;
}

namespace triggerfish::server::actions {

// The tenants' agents in memory, loaded from the store on first use and
// dropped when AgentService changes them, so that the trigger cycle (which
// holds its tenant) never waits for the store to read an agent.
class AgentCache {
 public:
  explicit AgentCache(store::Store* store) : store_(store) {}
  // The tenant's agents by id; an error when the store cannot be read.
  absl::StatusOr<std::shared_ptr<const std::map<std::string, v1::Agent>>> Agents(
      const std::string& tenant);
  void Invalidate(const std::string& tenant);

 private:
  store::Store* store_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const std::map<std::string, v1::Agent>>> tenants_;
};

// What the host API reaches outside a unit of work: the store (plugin state
// of deferred actions, open ticket counts), the state cache and the agents.
struct HostServices {
  store::Store* store = nullptr;
  PluginStateCache* cache = nullptr;
  AgentCache* agents = nullptr;
};

// Ticket JSON for plugins, with "assignee": {"id", "name", "email"} added
// when the directory knows the assigned agent.
nlohmann::json TicketJsonForPlugins(const v1::Ticket& ticket, const std::string& tenant,
                                    const HostServices* services);

}  // namespace triggerfish::server::actions

// Defined here, opaque to plugins. Inline actions get a UnitOfWork (state
// and timers commit with the event); deferred actions get none, and their
// state calls go straight to the store, each its own transaction.
struct tf_exec_ctx {
  triggerfish::server::actions::UnitOfWork* work = nullptr;
  // Dry runs' inline calls run on a worker their caller may abandon
  // (PluginCallPool). The host functions hold `work_mu` while they use
  // `work`; a caller that stops waiting sets `work_revoked` under it, after
  // which a late plugin gets TF_HOST_UNAVAILABLE instead of reaching a unit
  // of work that has moved on.
  std::mutex work_mu;
  bool work_revoked = false;
  const triggerfish::server::actions::HostServices* services = nullptr;
  std::string tenant;
  std::string plugin;
  std::string ticket_id;
};

namespace triggerfish::server::actions {

// The table passed to every plugin's init. Thread-safe; lives for the
// process.
const tf_host_api* ServerHostApi();

}  // namespace triggerfish::server::actions
