// Opening plugin modules and checking their descriptors against the ABI
// (plugin_abi.h, "Loading" steps 1-3 minus the JSON Schemas).
#pragma once

#include <filesystem>

#include <triggerfish/plugin_abi.h>

#include "absl/status/statusor.h"

namespace triggerfish::server::plugins {

// Loads `file` with rtld_now | rtld_local and returns the descriptor its
// tf_plugin_entry_v1 returns. A module, once loaded, is never unloaded (its
// code may be referenced until exit), even if its descriptor is later
// refused. The error message is the reason alone, without the file name.
// Thread-safe.
absl::StatusOr<const tf_plugin_descriptor*> OpenPluginModule(const std::filesystem::path& file);

// Checks magic, versions, struct sizes, required functions, the plugin name
// and every action's type ("<name>.<action>"), mode and pointers. The error
// message is the reason alone.
absl::Status CheckDescriptor(const tf_plugin_descriptor& descriptor);

}  // namespace triggerfish::server::plugins
