#pragma once

// The server's side of the plugin ABI: the tf_host_api table every plugin
// receives, and the execution context (tf_exec_ctx) that ties a call to a
// tenant, a plugin, a ticket and a UnitOfWork.

#include <string>

#include "server/actions/unit_of_work.h"
#include "triggerfish/plugin_abi.h"

// Defined here, opaque to plugins.
struct tf_exec_ctx {
  triggerfish::server::actions::UnitOfWork* work = nullptr;  // null: no state
  std::string plugin;
  std::string ticket_id;
};

namespace triggerfish::server::actions {

// The table passed to every plugin's init. Thread-safe; lives for the
// process.
const tf_host_api* ServerHostApi();

}  // namespace triggerfish::server::actions
