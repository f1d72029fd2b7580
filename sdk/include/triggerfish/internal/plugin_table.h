// Implementation detail of TRIGGERFISH_PLUGIN: compile-time checks of action
// classes, the static plugin descriptor and the C trampolines that turn
// exceptions into result codes. Not part of the public API; include
// <triggerfish/sdk.h> instead.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

// Boost.DLL's alias header otherwise pulls in Boost.Filesystem and
// Boost.System, whose symbols would end up in every plugin.
#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS
#endif
#include <boost/dll/alias.hpp>

#include <triggerfish/sdk.h>

#define TRIGGERFISH_INTERNAL_STR2(x) #x
#define TRIGGERFISH_INTERNAL_STR(x) TRIGGERFISH_INTERNAL_STR2(x)

// Free text stored in the descriptor's build_info. Define it (e.g. with the
// commit) before including sdk.h, or on the compiler command line.
#ifndef TRIGGERFISH_PLUGIN_BUILD_INFO
#define TRIGGERFISH_PLUGIN_BUILD_INFO                                                         \
  "triggerfish-sdk abi " TRIGGERFISH_INTERNAL_STR(TF_ABI_MAJOR) "." TRIGGERFISH_INTERNAL_STR( \
      TF_ABI_MINOR) "; compiler " __VERSION__
#endif

namespace triggerfish::sdk::internal {

template <class A>
concept HasType = requires {
  { A::kType } -> std::convertible_to<std::string_view>;
};
template <class A>
concept HasMode = requires {
  { A::kMode } -> std::convertible_to<Mode>;
};
template <class A>
concept HasParamsSchema = requires {
  { A::kParamsSchema } -> std::convertible_to<std::string_view>;
};
template <class A>
concept HasDescription = requires {
  { A::kDescription } -> std::convertible_to<std::string_view>;
};
template <class A>
concept HasExecute = requires(const A& action, Context& ctx, const Json& json) {
  { action.Execute(ctx, json, json) } -> std::same_as<Result>;
};

template <class A>
consteval bool CheckAction() {
  static_assert(HasType<A>,
                "triggerfish: an action class needs "
                "`static constexpr std::string_view kType = \"<plugin>.<action>\";`");
  static_assert(HasMode<A>,
                "triggerfish: an action class needs "
                "`static constexpr triggerfish::sdk::Mode kMode = Mode::kInline;` (or kDeferred)");
  static_assert(HasParamsSchema<A>,
                "triggerfish: an action class needs "
                "`static constexpr std::string_view kParamsSchema = R\"({...JSON Schema...})\";`");
  static_assert(HasExecute<A>,
                "triggerfish: an action class needs a const member function "
                "`triggerfish::sdk::Result Execute(triggerfish::sdk::Context& ctx, "
                "const triggerfish::sdk::Json& params, const triggerfish::sdk::Json& ticket) "
                "const`");
  return true;
}

template <class... Actions>
consteval bool CheckActions() {
  static_assert(sizeof...(Actions) > 0, "triggerfish: a plugin needs at least one action");
  return (CheckAction<Actions>() && ...);
}

constexpr bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

consteval bool IsPluginName(std::string_view name) { return IsIdentifier(name); }

// True if every kType is "<name>.<identifier>" and no two are equal. Actions
// without kType are reported by CheckAction instead.
template <class... Actions>
consteval bool TypesArePrefixed(std::string_view name) {
  if constexpr (!(HasType<Actions> && ...)) {
    return true;
  } else {
    std::array<std::string_view, sizeof...(Actions)> types = {std::string_view(Actions::kType)...};
    for (size_t i = 0; i < types.size(); ++i) {
      std::string_view t = types[i];
      if (t.size() <= name.size() + 1 || t.substr(0, name.size()) != name ||
          t[name.size()] != '.' || !IsIdentifier(t.substr(name.size() + 1))) {
        return false;
      }
      for (size_t j = 0; j < i; ++j) {
        if (types[j] == t) return false;
      }
    }
    return true;
  }
}

template <class Config>
Config MakeConfig(const Json& json, const Host& host) {
  if constexpr (std::constructible_from<Config, const Json&, const Host&>) {
    return Config(json, host);
  } else {
    static_assert(std::constructible_from<Config, const Json&>,
                  "triggerfish: a Config class needs a constructor `Config(const Json& config)` "
                  "or `Config(const Json& config, const triggerfish::sdk::Host& host)`");
    static_assert(
        requires {
          { Config::kSchema } -> std::convertible_to<std::string_view>;
        },
        "triggerfish: a Config class needs `static constexpr std::string_view kSchema`");
    return Config(json);
  }
}

// Holds one action object, built from the Config when it accepts one.
template <class Config, class A>
class ActionSlot {
 public:
  explicit ActionSlot(const Config& config) requires std::constructible_from<A, const Config&>
      : action_(config) {}
  explicit ActionSlot(const Config&) requires(!std::constructible_from<A, const Config&>)
      : action_() {
    static_assert(std::default_initializable<A>,
                  "triggerfish: an action class must be default-constructible or constructible "
                  "from `const Config&`");
  }
  const A& get() const { return action_; }

 private:
  A action_;
};

template <class Config, class... Actions>
struct Instance {
  Instance(const tf_host_api* api, const Json& config_json)
      : host(api),
        config(MakeConfig<Config>(config_json, host)),
        actions(static_cast<const Config&>(((void)sizeof(Actions*), config))...) {}

  Host host;
  Config config;
  std::tuple<ActionSlot<Config, Actions>...> actions;
};

// The static descriptor of one plugin and the C entry points behind it.
template <class Config, class... Actions>
class PluginTable {
 public:
  PluginTable(const char* name, const char* version, const char* build_info)
      : config_schema_(Config::kSchema) {
    Fill(std::index_sequence_for<Actions...>());
    descriptor_.magic = TF_PLUGIN_MAGIC;
    descriptor_.struct_size = sizeof(tf_plugin_descriptor);
    descriptor_.abi_major = TF_ABI_MAJOR;
    descriptor_.abi_minor = TF_ABI_MINOR;
    descriptor_.name = name;
    descriptor_.version = version;
    descriptor_.build_info = build_info;
    descriptor_.config_schema = config_schema_.c_str();
    descriptor_.init = &Init;
    descriptor_.destroy = &Destroy;
    descriptor_.actions = action_ptrs_.data();
    descriptor_.action_count = kCount;
  }
  PluginTable(const PluginTable&) = delete;
  PluginTable& operator=(const PluginTable&) = delete;

  const tf_plugin_descriptor& descriptor() const { return descriptor_; }

 private:
  using InstanceType = Instance<Config, Actions...>;
  static constexpr size_t kCount = sizeof...(Actions);
  template <size_t I>
  using ActionAt = std::tuple_element_t<I, std::tuple<Actions...>>;

  template <size_t... I>
  void Fill(std::index_sequence<I...>) {
    (FillOne<I>(), ...);
  }

  template <size_t I>
  void FillOne() {
    using A = ActionAt<I>;
    types_[I] = std::string(A::kType);
    schemas_[I] = std::string(A::kParamsSchema);
    if constexpr (HasDescription<A>) descriptions_[I] = std::string(A::kDescription);
    tf_action_descriptor& d = actions_[I];
    d.struct_size = sizeof(tf_action_descriptor);
    d.mode = static_cast<int32_t>(static_cast<Mode>(A::kMode));
    d.type = types_[I].c_str();
    d.description = descriptions_[I].c_str();
    d.params_schema = schemas_[I].c_str();
    d.execute = &Execute<I>;
    action_ptrs_[I] = &actions_[I];
  }

  static void WriteText(tf_sink* sink, std::string_view text) noexcept {
    if (sink != nullptr) sink->write(sink->opaque, text.data(), text.size());
  }

  static int32_t Init(const tf_host_api* api, const char* config_json, size_t config_size,
                      tf_plugin_instance** instance, tf_sink* error) noexcept {
    try {
      if (api == nullptr || api->struct_size < sizeof(tf_host_api)) {
        WriteText(error, "host API table is missing or older than the plugin's SDK");
        return TF_PERMANENT;
      }
      Json config = Context::ParseJson(tf_str{config_json, config_size}, "config");
      *instance = reinterpret_cast<tf_plugin_instance*>(new InstanceType(api, config));
      return TF_OK;
    } catch (const RetryableError& e) {
      WriteText(error, e.what());
      return TF_RETRYABLE;
    } catch (const std::exception& e) {
      WriteText(error, e.what());
      return TF_PERMANENT;
    } catch (...) {
      WriteText(error, "plugin init threw a non-standard exception");
      return TF_PERMANENT;
    }
  }

  static void Destroy(tf_plugin_instance* instance) noexcept {
    delete reinterpret_cast<InstanceType*>(instance);
  }

  template <size_t I>
  static Result Run(InstanceType& instance, const tf_execute_request& request) {
    try {
      Context ctx(instance.host, request);
      Json params = Context::ParseJson(request.params_json, "params");
      Json ticket = Context::ParseJson(request.ticket_json, "ticket");
      return std::get<I>(instance.actions).get().Execute(ctx, params, ticket);
    } catch (const RetryableError& e) {
      return Result::Retryable(e.what());
    } catch (const HostError& e) {
      return e.retryable() ? Result::Retryable(e.what()) : Result::Permanent(e.what());
    } catch (const std::exception& e) {
      return Result::Permanent(e.what());
    } catch (...) {
      return Result::Permanent("action threw a non-standard exception");
    }
  }

  template <size_t I>
  static int32_t Execute(tf_plugin_instance* instance, const tf_execute_request* request,
                         tf_sink* out) noexcept {
    try {
      Result result = Run<I>(*reinterpret_cast<InstanceType*>(instance), *request);
      // Invalid UTF-8 in a message must not turn a result into an exception.
      std::string text = result.json().dump(-1, ' ', false, Json::error_handler_t::replace);
      if (out->write(out->opaque, text.data(), text.size()) != 0) return TF_PERMANENT;
      return static_cast<int32_t>(result.code());
    } catch (...) {
      return TF_PERMANENT;  // Out of memory while reporting the result.
    }
  }

  std::string config_schema_;
  std::array<std::string, kCount> types_;
  std::array<std::string, kCount> schemas_;
  std::array<std::string, kCount> descriptions_;
  std::array<tf_action_descriptor, kCount> actions_{};
  std::array<const tf_action_descriptor*, kCount> action_ptrs_{};
  tf_plugin_descriptor descriptor_{};
};

}  // namespace triggerfish::sdk::internal
