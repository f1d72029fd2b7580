#include "server/config/security_config.h"

#include <algorithm>
#include <map>

#include "server/common/strings.h"

namespace triggerfish::server {
namespace {

absl::Status Error(std::string_view key, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("config key \"", key, "\" ", what));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 64 hex digits -> 32 bytes; nullopt for anything else.
std::optional<std::string> DecodeSha256(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  std::string out(32, '\0');
  for (size_t i = 0; i < 32; ++i) {
    const int high = HexDigit(hex[2 * i]);
    const int low = HexDigit(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out[i] = static_cast<char>(high << 4 | low);
  }
  return out;
}

absl::Status ParseToken(const nlohmann::json& value, const std::string& path, AuthToken* token) {
  if (!value.is_object()) return Error(path, "must be a mapping {name, sha256, tenant, roles}");
  for (const auto& [key, item] : value.items()) {
    const std::string item_path = StrCat(path, ".", key);
    if (key == "name") {
      if (!item.is_string() || item.get<std::string>().empty() ||
          item.get<std::string>().size() > 128) {
        return Error(item_path, "must be a string of 1-128 characters");
      }
      token->name = item.get<std::string>();
    } else if (key == "sha256") {
      auto digest = item.is_string() ? DecodeSha256(item.get<std::string>()) : std::nullopt;
      if (!digest) {
        return Error(item_path,
                     "must be the 64 hex digits of the token's SHA-256 (printf %s \"$TOKEN\" | "
                     "sha256sum)");
      }
      token->sha256 = std::move(*digest);
    } else if (key == "tenant") {
      if (!item.is_string() || !ValidTenantName(item.get<std::string>())) {
        return Error(item_path, "must be 1-128 characters of [A-Za-z0-9._-]");
      }
      token->tenant = item.get<std::string>();
    } else if (key == "roles") {
      if (!item.is_array() || item.empty()) {
        return Error(item_path, "must be a non-empty list of admin, publisher, reader");
      }
      for (size_t i = 0; i < item.size(); ++i) {
        const auto role =
            item[i].is_string() ? ParseRole(item[i].get<std::string>()) : std::nullopt;
        if (!role) {
          return Error(StrCat(item_path, "[", i, "]"),
                       "is not a role (admin, publisher or reader)");
        }
        token->roles |= *role;
      }
    } else {
      return Error(item_path, "is unknown (name, sha256, tenant, roles)");
    }
  }
  for (const char* required : {"name", "sha256", "tenant", "roles"}) {
    if (!value.contains(required)) return Error(StrCat(path, ".", required), "is required");
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "admin") return kRoleAdmin;
  if (name == "publisher") return kRolePublisher;
  if (name == "reader") return kRoleReader;
  return std::nullopt;
}

std::string RoleNames(RoleSet roles) {
  std::string out;
  for (auto [role, name] : {std::pair{kRoleAdmin, "admin"}, std::pair{kRolePublisher, "publisher"},
                            std::pair{kRoleReader, "reader"}}) {
    if ((roles & role) == 0) continue;
    if (!out.empty()) out += ",";
    out += name;
  }
  return out;
}

bool ValidTenantName(std::string_view tenant) {
  if (tenant.empty() || tenant.size() > 128) return false;
  return std::all_of(tenant.begin(), tenant.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

absl::Status ParseAuthConfig(const nlohmann::json& value, AuthConfig* out) {
  if (!value.is_object()) return Error("auth", "must be a mapping {enabled, tokens}");
  for (const auto& [key, item] : value.items()) {
    if (key == "enabled") {
      if (!item.is_boolean()) return Error("auth.enabled", "must be true or false");
      out->enabled = item.get<bool>();
    } else if (key == "tokens") {
      if (!item.is_array()) return Error("auth.tokens", "must be a list");
      out->tokens.clear();
      std::map<std::string, size_t> seen;  // digest -> index
      for (size_t i = 0; i < item.size(); ++i) {
        const std::string path = StrCat("auth.tokens[", i, "]");
        AuthToken token;
        if (auto s = ParseToken(item[i], path, &token); !s.ok()) return s;
        auto [it, inserted] = seen.emplace(token.sha256, i);
        if (!inserted) {
          return Error(StrCat(path, ".sha256"),
                       StrCat("is the same token as auth.tokens[", it->second, "]"));
        }
        out->tokens.push_back(std::move(token));
      }
    } else {
      return Error(StrCat("auth.", key), "is unknown (enabled, tokens)");
    }
  }
  if (out->enabled && out->tokens.empty()) {
    return Error("auth.tokens", "must list at least one token when auth.enabled is true");
  }
  return absl::OkStatus();
}

absl::Status ParseTlsConfig(const nlohmann::json& value, TlsConfig* out) {
  if (!value.is_object()) return Error("tls", "must be a mapping");
  for (const auto& [key, item] : value.items()) {
    const std::string path = StrCat("tls.", key);
    std::string* file = key == "cert_file"        ? &out->cert_file
                        : key == "key_file"       ? &out->key_file
                        : key == "client_ca_file" ? &out->client_ca_file
                                                  : nullptr;
    if (file != nullptr) {
      if (!item.is_string()) return Error(path, "must be a file path");
      *file = item.get<std::string>();
    } else if (key == "require_client_cert") {
      if (!item.is_boolean()) return Error(path, "must be true or false");
      out->require_client_cert = item.get<bool>();
    } else if (key == "reload_interval_s") {
      if (!item.is_number_integer() || item.get<int64_t>() < 1 || item.get<int64_t>() > 86400) {
        return Error(path, "must be an integer between 1 and 86400");
      }
      out->reload_interval_s = item.get<int>();
    } else {
      return Error(path,
                   "is unknown (cert_file, key_file, client_ca_file, require_client_cert, "
                   "reload_interval_s)");
    }
  }
  if (out->cert_file.empty() != out->key_file.empty()) {
    return Error(out->cert_file.empty() ? "tls.cert_file" : "tls.key_file",
                 "is required with the other (both or neither)");
  }
  if (!out->enabled() && !out->client_ca_file.empty()) {
    return Error("tls.client_ca_file", "needs tls.cert_file and tls.key_file");
  }
  if (out->require_client_cert && out->client_ca_file.empty()) {
    return Error("tls.require_client_cert", "needs tls.client_ca_file");
  }
  return absl::OkStatus();
}

}  // namespace triggerfish::server
