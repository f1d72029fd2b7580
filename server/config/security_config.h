#pragma once

// The `auth` and `tls` sections of the server configuration: bearer tokens
// (stored only as SHA-256 digests) mapped to a tenant and roles, and the
// certificate files of optional TLS / mTLS. docs/authentication.md describes
// them for operators.
//
//   auth:
//     enabled: true
//     tokens:
//       - {name: helpdesk-prod, sha256: "<64 hex>", tenant: acme, roles: [publisher]}
//   tls: {cert_file: server.pem, key_file: server.key, client_ca_file: ca.pem,
//         require_client_cert: true, reload_interval_s: 60}

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace triggerfish::server {

// What a token may do. A token holds any combination; no role implies
// another. Which methods accept which roles: server/api/auth.cc.
enum Role : uint8_t {
  kRoleAdmin = 1 << 0,
  kRolePublisher = 1 << 1,
  kRoleReader = 1 << 2,
};
using RoleSet = uint8_t;
inline constexpr RoleSet kAllRoles = kRoleAdmin | kRolePublisher | kRoleReader;

// "admin", "publisher", "reader" -> the role; nullopt for anything else.
std::optional<Role> ParseRole(std::string_view name);
// The role names in `roles`, comma separated, e.g. "admin,reader".
std::string RoleNames(RoleSet roles);

struct AuthToken {
  // Shown in logs, never secret.
  std::string name;
  // SHA-256 of the token: 32 raw bytes (the config holds 64 hex digits).
  std::string sha256;
  std::string tenant;
  RoleSet roles = 0;
};

struct AuthConfig {
  // Off by default, for development: every caller is tenant "default" with
  // every role, and the server says so loudly at start.
  bool enabled = false;
  std::vector<AuthToken> tokens;
};

struct TlsConfig {
  // Both set: the server speaks TLS only. Both empty: plaintext.
  std::string cert_file;
  std::string key_file;
  // CAs that sign client certificates; set: client certificates are
  // verified (mTLS).
  std::string client_ca_file;
  // With client_ca_file: a client without a certificate is refused.
  bool require_client_cert = false;
  // How often the files are checked for new contents.
  int reload_interval_s = 60;

  bool enabled() const { return !cert_file.empty(); }
};

// Parse the `auth` / `tls` sections over `out`. Errors name the offending
// key path, e.g. `auth.tokens[2].roles[0]`.
absl::Status ParseAuthConfig(const nlohmann::json& value, AuthConfig* out);
absl::Status ParseTlsConfig(const nlohmann::json& value, TlsConfig* out);

// A tenant name accepted in the configuration: 1-128 characters of
// [A-Za-z0-9._-].
bool ValidTenantName(std::string_view tenant);

}  // namespace triggerfish::server
