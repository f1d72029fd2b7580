#include "server/config/config.h"

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>
#include <utility>

#include "server/common/strings.h"
#include "yaml-cpp/yaml.h"

namespace triggerfish::server {
namespace {

// A plain (unquoted) YAML scalar: a number, boolean or null where it looks
// like one, else a string.
nlohmann::json PlainScalarToJson(const std::string& text) {
  if (text == "true" || text == "True") return true;
  if (text == "false" || text == "False") return false;
  if (text == "null" || text == "~" || text.empty()) return nullptr;
  char* end = nullptr;
  const long long integer = std::strtoll(text.c_str(), &end, 10);
  if (end != text.c_str() && *end == '\0') return integer;
  const double number = std::strtod(text.c_str(), &end);
  if (end != text.c_str() && *end == '\0') return number;
  return text;
}

nlohmann::json ScalarToJson(const YAML::Node& node) {
  if (node.Tag() == "!") return node.Scalar();  // quoted: always a string
  return PlainScalarToJson(node.Scalar());
}

nlohmann::json NodeToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return ScalarToJson(node);
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(NodeToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& item : node) out[item.first.as<std::string>()] = NodeToJson(item.second);
      return out;
    }
    default:
      return nullptr;
  }
}

template <typename T>
absl::Status Read(const nlohmann::json& j, const std::string& key, T* out) {
  // nlohmann converts -1 to SIZE_MAX without complaint: a negative limit
  // would silently mean "no limit".
  if constexpr (std::is_unsigned_v<T> && !std::is_same_v<T, bool>) {
    if (j.is_number() && j.get<double>() < 0) {
      return absl::InvalidArgumentError(StrCat("config key \"", key, "\" must not be negative"));
    }
  }
  try {
    *out = j.get<T>();
  } catch (const nlohmann::json::exception&) {
    return absl::InvalidArgumentError(StrCat("config key \"", key, "\" has the wrong type"));
  }
  return absl::OkStatus();
}

// Limits and sizes that must be positive: zero or less would not mean "no
// limit" but a server that rejects everything or hangs (a stream window of
// 0 never reads).
absl::Status CheckRanges(const ServerConfig& c) {
  const std::pair<const char*, int64_t> positive[] = {
      {"inline_action_timeout_ms", c.inline_action_timeout_ms},
      {"cycle_threads", c.cycle_threads},
      {"stream_window", c.stream_window},
      {"max_inflight_events", c.max_inflight_events},
      {"commit_batch", c.commit_batch},
      {"timer_poll_ms", c.timer_poll_ms},
      {"automation_interval_ms", c.automation_interval_ms},
      {"automation_batch", c.automation_batch},
      {"max_message_bytes", c.max_message_bytes},
      {"outbox.threads", c.outbox.threads},
      {"outbox.max_attempts", c.outbox.max_attempts},
      {"outbox.action_timeout_ms", c.outbox.action_timeout_ms},
      {"limits.max_condition_depth", c.limits.max_condition_depth},
      {"limits.max_predicates", c.limits.max_predicates},
      {"limits.max_actions", c.limits.max_actions},
      {"limits.max_event_types", c.limits.max_event_types},
      {"limits.max_regex_length", static_cast<int64_t>(c.limits.max_regex_length)},
      {"limits.regex_max_mem", c.limits.regex_max_mem},
      {"limits.max_value_length", static_cast<int64_t>(c.limits.max_value_length)},
      {"limits.max_list_values", static_cast<int64_t>(c.limits.max_list_values)},
      {"limits.max_rule_bytes", static_cast<int64_t>(c.limits.max_rule_bytes)},
      {"limits.max_rules_per_tenant", c.limits.max_rules_per_tenant},
      {"limits.max_event_bytes", static_cast<int64_t>(c.limits.max_event_bytes)},
  };
  for (const auto& [key, value] : positive) {
    if (value <= 0) {
      return absl::InvalidArgumentError(StrCat("config key \"", key, "\" must be positive"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> DefaultPluginDirs() {
  for (const char* dir : {TRIGGERFISH_INSTALL_PLUGIN_DIR, TRIGGERFISH_BUILD_PLUGIN_DIR}) {
    std::error_code error;
    if (std::filesystem::is_directory(dir, error)) return {dir};
  }
  return {};
}

absl::StatusOr<nlohmann::json> YamlToJson(const std::string& yaml_text) {
  try {
    return NodeToJson(YAML::Load(yaml_text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat("invalid YAML: ", e.what()));
  }
}

namespace {

// Reads the `grpc:` mapping. Every value is a non-negative integer except
// keepalive_permit_without_calls.
absl::Status ReadGrpcOptions(const nlohmann::json& value, ServerConfig::GrpcOptions* options) {
  if (!value.is_object())
    return absl::InvalidArgumentError("config key \"grpc\" must be a mapping");
  const std::pair<const char*, int*> durations[] = {
      {"keepalive_time_ms", &options->keepalive_time_ms},
      {"keepalive_timeout_ms", &options->keepalive_timeout_ms},
      {"min_ping_interval_ms", &options->min_ping_interval_ms},
      {"max_connection_age_ms", &options->max_connection_age_ms},
      {"max_connection_age_grace_ms", &options->max_connection_age_grace_ms},
      {"max_connection_idle_ms", &options->max_connection_idle_ms},
      {"max_concurrent_streams", &options->max_concurrent_streams},
  };
  for (const auto& [key, item] : value.items()) {
    const std::string name = StrCat("grpc.", key);
    if (key == "keepalive_permit_without_calls") {
      if (auto s = Read(item, name, &options->keepalive_permit_without_calls); !s.ok()) return s;
      continue;
    }
    int* target = nullptr;
    for (const auto& [known, field] : durations) {
      if (key == known) target = field;
    }
    if (target == nullptr) {
      return absl::InvalidArgumentError(StrCat("unknown config key \"", name, "\""));
    }
    if (!item.is_number_integer()) {
      return absl::InvalidArgumentError(
          StrCat("config key \"", name, "\" has the wrong type (expected an integer)"));
    }
    if (auto s = Read(item, name, target); !s.ok()) return s;
    if (*target < 0) {
      return absl::InvalidArgumentError(StrCat("config key \"", name, "\" must not be negative"));
    }
    if (target == &options->keepalive_timeout_ms && *target == 0) {
      return absl::InvalidArgumentError(StrCat("config key \"", name, "\" must be positive"));
    }
  }
  return absl::OkStatus();
}

// Applies a parsed config mapping; `source` (a file name) prefixes errors.
// An unknown top-level key is an error and is also stored in `unknown_key`.
absl::Status ApplyConfig(const nlohmann::json& json, const std::string& path, ServerConfig* config,
                         std::string* unknown_key) {
  for (const auto& [key, value] : json.items()) {
    absl::Status s;
    if (key == "listen") {
      s = Read(value, key, &config->listen);
    } else if (key == "store") {
      s = Read(value, key, &config->store_path);
    } else if (key == "plugin_dirs") {
      s = Read(value, key, &config->plugin_dirs);
    } else if (key == "plugins") {
      if (!value.is_object())
        return absl::InvalidArgumentError("config key \"plugins\" must be a mapping");
      for (const auto& [name, plugin_config] : value.items()) {
        config->plugin_configs[name] = plugin_config;
      }
    } else if (key == "skip_bad_plugins") {
      s = Read(value, key, &config->skip_bad_plugins);
    } else if (key == "inline_action_timeout_ms") {
      s = Read(value, key, &config->inline_action_timeout_ms);
    } else if (key == "cycle_threads") {
      s = Read(value, key, &config->cycle_threads);
    } else if (key == "stream_window") {
      s = Read(value, key, &config->stream_window);
    } else if (key == "max_inflight_events") {
      s = Read(value, key, &config->max_inflight_events);
    } else if (key == "commit_batch") {
      s = Read(value, key, &config->commit_batch);
    } else if (key == "timer_poll_ms") {
      s = Read(value, key, &config->timer_poll_ms);
    } else if (key == "automation_interval_ms") {
      s = Read(value, key, &config->automation_interval_ms);
    } else if (key == "automation_batch") {
      s = Read(value, key, &config->automation_batch);
    } else if (key == "outbox") {
      if (!value.is_object())
        return absl::InvalidArgumentError("config key \"outbox\" must be a mapping");
      auto& o = config->outbox;
      for (const auto& [ok, ov] : value.items()) {
        const std::string name = StrCat("outbox.", ok);
        if (ok == "threads")
          s = Read(ov, name, &o.threads);
        else if (ok == "max_attempts")
          s = Read(ov, name, &o.max_attempts);
        else if (ok == "base_backoff_ms")
          s = Read(ov, name, &o.base_backoff_ms);
        else if (ok == "max_backoff_ms")
          s = Read(ov, name, &o.max_backoff_ms);
        else if (ok == "action_timeout_ms")
          s = Read(ov, name, &o.action_timeout_ms);
        else
          return absl::InvalidArgumentError(StrCat(path, ": unknown config key \"", name, "\""));
        if (!s.ok()) return s;
      }
    } else if (key == "log_level") {
      s = Read(value, key, &config->log_level);
    } else if (key == "log_format") {
      s = Read(value, key, &config->log_format);
    } else if (key == "admin_listen") {
      s = Read(value, key, &config->admin_listen);
    } else if (key == "seed_rules") {
      s = Read(value, key, &config->seed_rules);
    } else if (key == "max_message_bytes") {
      s = Read(value, key, &config->max_message_bytes);
    } else if (key == "limits") {
      if (!value.is_object())
        return absl::InvalidArgumentError("config key \"limits\" must be a mapping");
      auto& l = config->limits;
      for (const auto& [lk, lv] : value.items()) {
        const std::string name = StrCat("limits.", lk);
        if (lk == "max_condition_depth")
          s = Read(lv, name, &l.max_condition_depth);
        else if (lk == "max_predicates")
          s = Read(lv, name, &l.max_predicates);
        else if (lk == "max_actions")
          s = Read(lv, name, &l.max_actions);
        else if (lk == "max_event_types")
          s = Read(lv, name, &l.max_event_types);
        else if (lk == "max_regex_length")
          s = Read(lv, name, &l.max_regex_length);
        else if (lk == "regex_max_mem")
          s = Read(lv, name, &l.regex_max_mem);
        else if (lk == "max_value_length")
          s = Read(lv, name, &l.max_value_length);
        else if (lk == "max_list_values")
          s = Read(lv, name, &l.max_list_values);
        else if (lk == "max_rule_bytes")
          s = Read(lv, name, &l.max_rule_bytes);
        else if (lk == "max_rules_per_tenant")
          s = Read(lv, name, &l.max_rules_per_tenant);
        else if (lk == "max_event_bytes")
          s = Read(lv, name, &l.max_event_bytes);
        else
          return absl::InvalidArgumentError(StrCat(path, ": unknown config key \"", name, "\""));
        if (!s.ok()) return s;
      }
    } else if (key == "shutdown_grace_ms") {
      s = Read(value, key, &config->shutdown_grace_ms);
      if (s.ok() && config->shutdown_grace_ms < 0) {
        s = absl::InvalidArgumentError("config key \"shutdown_grace_ms\" must not be negative");
      }
    } else if (key == "grpc") {
      s = ReadGrpcOptions(value, &config->grpc);
    } else if (key == "auth") {
      s = ParseAuthConfig(value, &config->auth);
    } else if (key == "tls") {
      s = ParseTlsConfig(value, &config->tls);
    } else {
      *unknown_key = key;
      return absl::InvalidArgumentError(StrCat(path, ": unknown config key \"", key, "\""));
    }
    if (!s.ok()) return absl::InvalidArgumentError(StrCat(path, ": ", s.message()));
  }
  if (auto s = CheckRanges(*config); !s.ok()) {
    return absl::InvalidArgumentError(StrCat(path, ": ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status LoadConfigFile(const std::string& path, ServerConfig* config) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(StrCat("cannot read config file ", path));
  std::stringstream text;
  text << in.rdbuf();
  auto json = YamlToJson(text.str());
  if (!json.ok()) return absl::InvalidArgumentError(StrCat(path, ": ", json.status().message()));
  if (json->is_null()) return absl::OkStatus();
  if (!json->is_object()) return absl::InvalidArgumentError(StrCat(path, ": not a mapping"));
  std::string unknown_key;
  return ApplyConfig(*json, path, config, &unknown_key);
}

absl::Status ApplyEnvironment(const std::map<std::string, std::string>& env, ServerConfig* config,
                              std::vector<std::string>* ignored) {
  constexpr std::string_view kPrefix = "TRIGGERFISH_";
  for (const auto& [name, text] : env) {
    if (name.size() <= kPrefix.size() || name.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    std::string key = name.substr(kPrefix.size());
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string source = StrCat("environment variable ", name);
    nlohmann::json value;
    if (!text.empty() && (text[0] == '{' || text[0] == '[')) {
      // A YAML flow mapping or list, for keys such as auth or limits.
      auto parsed = YamlToJson(text);
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(StrCat(source, ": ", parsed.status().message()));
      }
      value = *std::move(parsed);
    } else if (key == "plugin_dirs") {
      // PATH-like.
      value = nlohmann::json::array();
      std::stringstream dirs(text);
      for (std::string dir; std::getline(dirs, dir, ':');) {
        if (!dir.empty()) value.push_back(dir);
      }
    } else {
      value = PlainScalarToJson(text);
    }
    std::string unknown_key;
    ServerConfig updated = *config;
    absl::Status s = ApplyConfig({{key, value}}, source, &updated, &unknown_key);
    if (!unknown_key.empty()) {  // not ours (e.g. TRIGGERFISH_SERVICE_HOST)
      if (ignored != nullptr) ignored->push_back(name);
      continue;
    }
    if (!s.ok() && !value.is_string()) {
      // A string key given a value that looks like a number (a store file
      // named 2024) or nothing (admin_listen "" turns the admin port off):
      // take the text as it is.
      updated = *config;
      if (ApplyConfig({{key, text}}, source, &updated, &unknown_key).ok()) s = absl::OkStatus();
    }
    if (!s.ok()) {
      if (s.message().find(source) == 0) return s;
      return absl::InvalidArgumentError(StrCat(source, ": ", s.message()));
    }
    *config = std::move(updated);
  }
  return absl::OkStatus();
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return env;
}

}  // namespace triggerfish::server
