#pragma once

// The server's side of the plugin ABI: the tf_host_api table every plugin
// receives, and the execution context (tf_exec_ctx) that ties a call to a
// tenant, a plugin, a ticket and a UnitOfWork.

#include <string>

#include "nlohmann/json.hpp"
#include "server/actions/unit_of_work.h"
#include "triggerfish/plugin_abi.h"
#include "triggerfish/v1/ticket.pb.h"

namespace triggerfish::server::store {
class Store;
}

namespace triggerfish::server::actions {

// What the host API reaches outside a unit of work: the store (plugin state
// of deferred actions, the agent directory) and the state cache.
struct HostServices {
  store::Store* store = nullptr;
  PluginStateCache* cache = nullptr;
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
