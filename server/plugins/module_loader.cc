#include "server/plugins/module_loader.h"

#include <cstdio>
#include <exception>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/dll/shared_library.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace triggerfish::server::plugins {
namespace {

// Plugins are never dlclose'd: objects a plugin created (and its static
// descriptor) may be referenced until exit.
void KeepLoaded(boost::dll::shared_library library) {
  static std::mutex mu;
  static auto* libraries = new std::vector<boost::dll::shared_library>();
  std::lock_guard lock(mu);
  libraries->push_back(std::move(library));
}

bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::string Hex(uint32_t value) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "0x%08x", value);
  return buffer;
}

// Boost.DLL wraps dlerror() as "...(dlerror system message: <text>): <errno
// text>"; the dlerror text is what explains the failure.
std::string DlError(std::string_view what) {
  constexpr std::string_view kMarker = "(dlerror system message: ";
  size_t begin = what.find(kMarker);
  size_t end = what.rfind("): ");
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) {
    return std::string(what);
  }
  begin += kMarker.size();
  return std::string(what.substr(begin, end - begin));
}

absl::Status Invalid(std::string reason) { return absl::InvalidArgumentError(std::move(reason)); }

absl::Status CheckAction(const tf_plugin_descriptor& plugin, size_t index) {
  const tf_action_descriptor* action = plugin.actions[index];
  std::string where = absl::StrCat("action #", index);
  if (action == nullptr) return Invalid(absl::StrCat(where, ": descriptor is null"));
  if (action->struct_size < sizeof(tf_action_descriptor)) {
    return Invalid(absl::StrCat(where, ": struct_size ", action->struct_size, " is smaller than ",
                                sizeof(tf_action_descriptor)));
  }
  if (action->type == nullptr) return Invalid(absl::StrCat(where, ": missing type"));
  std::string type = action->type;
  std::string prefix = absl::StrCat(plugin.name, ".");
  if (!type.starts_with(prefix) || !IsIdentifier(std::string_view(type).substr(prefix.size()))) {
    return Invalid(absl::StrCat("action type '", type, "' must start with '", prefix,
                                "' followed by [a-z0-9_]+"));
  }
  where = absl::StrCat("action '", type, "'");
  if (action->mode != TF_MODE_INLINE && action->mode != TF_MODE_DEFERRED) {
    return Invalid(absl::StrCat(where, ": unknown mode ", action->mode));
  }
  if (action->params_schema == nullptr)
    return Invalid(absl::StrCat(where, ": missing params schema"));
  if (action->execute == nullptr) return Invalid(absl::StrCat(where, ": missing execute function"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<const tf_plugin_descriptor*> OpenPluginModule(const std::filesystem::path& file) {
  boost::dll::shared_library library;
  try {
    // An absolute path: dlopen would search the library path for a bare name.
    library.load(std::filesystem::absolute(file),
                 boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return Invalid(absl::StrCat("cannot load module: ", DlError(e.what())));
  }
  if (!library.has(TF_PLUGIN_ENTRY_SYMBOL)) {
    KeepLoaded(std::move(library));
    return Invalid("does not export " TF_PLUGIN_ENTRY_SYMBOL " (not a Triggerfish plugin)");
  }
  auto& entry = library.get_alias<const tf_plugin_descriptor*()>(TF_PLUGIN_ENTRY_SYMBOL);
  KeepLoaded(std::move(library));
  const tf_plugin_descriptor* descriptor = entry();
  if (descriptor == nullptr) return Invalid("entry point returned no descriptor");
  return descriptor;
}

absl::Status CheckDescriptor(const tf_plugin_descriptor& d) {
  if (d.magic != TF_PLUGIN_MAGIC) {
    return Invalid(
        absl::StrCat("bad magic ", Hex(d.magic), " (expected ", Hex(TF_PLUGIN_MAGIC), ")"));
  }
  if (d.abi_major != TF_ABI_MAJOR) {
    return Invalid(absl::StrCat("ABI major version ", d.abi_major,
                                " is not supported (host ABI is ", TF_ABI_MAJOR, ".", TF_ABI_MINOR,
                                ")"));
  }
  if (d.abi_minor > TF_ABI_MINOR) {
    return Invalid(absl::StrCat("ABI version ", d.abi_major, ".", d.abi_minor,
                                " is newer than the host's ", TF_ABI_MAJOR, ".", TF_ABI_MINOR));
  }
  // Every member up to action_count exists since ABI 1.0; later minors
  // would compare against the size their members end at.
  if (d.struct_size < sizeof(tf_plugin_descriptor)) {
    return Invalid(absl::StrCat("descriptor struct_size ", d.struct_size, " is smaller than ",
                                sizeof(tf_plugin_descriptor)));
  }
  if (d.name == nullptr || !IsIdentifier(d.name)) {
    return Invalid(absl::StrCat("invalid plugin name '", d.name == nullptr ? "" : d.name,
                                "' (expected [a-z0-9_]+)"));
  }
  if (d.version == nullptr || *d.version == '\0') return Invalid("missing version");
  if (d.init == nullptr || d.destroy == nullptr) return Invalid("missing init or destroy function");
  if (d.config_schema == nullptr) return Invalid("missing config schema");
  if (d.action_count == 0 || d.actions == nullptr) return Invalid("declares no actions");
  for (size_t i = 0; i < d.action_count; ++i) {
    if (absl::Status s = CheckAction(d, i); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace triggerfish::server::plugins
