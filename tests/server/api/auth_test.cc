// The `auth` / `tls` configuration sections and the method -> roles table.
// Authorize() itself runs against the real server in
// tests/integration/auth_test.cc.

#include "server/api/auth.h"

#include <cstdio>
#include <fstream>
#include <set>
#include <vector>

#include "absl/strings/escaping.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "server/config/config.h"
#include "triggerfish/v1/agent_service.grpc.pb.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/execution_service.grpc.pb.h"
#include "triggerfish/v1/plugin_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"
#include "triggerfish/v1/ticket_service.grpc.pb.h"

namespace triggerfish::server {
namespace {

constexpr char kHex[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

// The error of parsing `yaml` as the `auth` section, or "" when it parses.
std::string AuthError(const std::string& yaml) {
  auto json = YamlToJson(yaml);
  EXPECT_TRUE(json.ok());
  AuthConfig config;
  return std::string(ParseAuthConfig(*json, &config).message());
}

std::string TlsError(const std::string& yaml) {
  auto json = YamlToJson(yaml);
  EXPECT_TRUE(json.ok());
  TlsConfig config;
  return std::string(ParseTlsConfig(*json, &config).message());
}

TEST(AuthConfigTest, ParsesTokensIntoDigestsTenantsAndRoles) {
  auto json =
      YamlToJson(std::string("enabled: true\ntokens:\n") + "  - {name: prod, sha256: " + kHex +
                 ", tenant: acme, roles: [admin, reader]}\n"
                 "  - {name: pub, sha256: " +
                 std::string(64, 'A') + ", tenant: acme-2, roles: [publisher]}\n");
  ASSERT_TRUE(json.ok());
  AuthConfig config;
  ASSERT_TRUE(ParseAuthConfig(*json, &config).ok());
  EXPECT_TRUE(config.enabled);
  ASSERT_EQ(config.tokens.size(), 2u);
  EXPECT_EQ(config.tokens[0].name, "prod");
  EXPECT_EQ(config.tokens[0].sha256, api::Sha256("test"));
  EXPECT_EQ(config.tokens[0].tenant, "acme");
  EXPECT_EQ(config.tokens[0].roles, kRoleAdmin | kRoleReader);
  EXPECT_EQ(config.tokens[1].sha256, std::string(32, '\xaa'));  // upper-case hex accepted
  EXPECT_EQ(config.tokens[1].roles, kRolePublisher);
}

// A token entry with `field` replaced (or added) by `replacement`.
std::string Token(const std::string& replacement = "") {
  std::string fields[] = {"name: a", std::string("sha256: ") + kHex, "tenant: t", "roles: [admin]"};
  std::string out = "{";
  const std::string key = replacement.substr(0, replacement.find(':'));
  bool replaced = false;
  for (auto& f : fields) {
    if (!key.empty() && f.starts_with(key + ":")) {
      f = replacement;
      replaced = true;
    }
    if (f.empty()) continue;
    out += (out.size() > 1 ? ", " : "") + f;
  }
  if (!replaced && !replacement.empty()) out += ", " + replacement;
  return out + "}";
}

TEST(AuthConfigTest, ErrorsNameTheKeyPath) {
  const std::string prefix =
      "tokens: [" + Token() + ", " + Token("sha256: '" + std::string(64, '2') + "'") + ", ";
  auto third = [&](const std::string& token) { return AuthError(prefix + token + "]"); };
  // Another digest for the third token, so that only the tested field is wrong.
  const std::string other = "sha256: '" + std::string(64, '1') + "'";
  EXPECT_TRUE(AuthError(std::string("tokens: [") + Token() + "]").empty());
  EXPECT_NE(third(Token("sha256: 12ab")).find("auth.tokens[2].sha256"), std::string::npos);
  EXPECT_NE(third(Token("sha256: " + std::string(64, 'g'))).find("auth.tokens[2].sha256"),
            std::string::npos);
  const std::string bad_role = "{name: c, " + other + ", tenant: t, roles: [reader, root]}";
  EXPECT_NE(third(bad_role).find("auth.tokens[2].roles[1]"), std::string::npos) << third(bad_role);
  const std::string empty_tenant = "{name: c, " + other + ", tenant: \"\", roles: [reader]}";
  EXPECT_NE(third(empty_tenant).find("auth.tokens[2].tenant"), std::string::npos);
  const std::string slash_tenant = "{name: c, " + other + ", tenant: a/b, roles: [reader]}";
  EXPECT_NE(third(slash_tenant).find("auth.tokens[2].tenant"), std::string::npos);
  const std::string no_roles = "{name: c, " + other + ", tenant: t, roles: []}";
  EXPECT_NE(third(no_roles).find("auth.tokens[2].roles"), std::string::npos);
  const std::string missing = "{name: c, " + other + ", roles: [reader]}";
  EXPECT_NE(third(missing).find("auth.tokens[2].tenant\" is required"), std::string::npos)
      << third(missing);
  const std::string unknown = "{name: c, " + other + ", tenant: t, roles: [reader], role: x}";
  EXPECT_NE(third(unknown).find("auth.tokens[2].role\" is unknown"), std::string::npos);
  // The same token twice is a mistake (two tenants for one secret).
  EXPECT_NE(third(Token("name: c"))
                .find("auth.tokens[2].sha256\" is the same token as "
                      "auth.tokens[0]"),
            std::string::npos)
      << third(Token("name: c"));
  EXPECT_NE(AuthError("enabled: yes-please").find("auth.enabled"), std::string::npos);
  EXPECT_NE(AuthError("enabled: true").find("auth.tokens"), std::string::npos);
  EXPECT_NE(AuthError("tokenz: []").find("auth.tokenz"), std::string::npos);
}

TEST(AuthConfigTest, AConfigFileErrorNamesTheFileAndTheKeyPath) {
  const std::string path = ::testing::TempDir() + "auth_config_test.yaml";
  {
    std::ofstream out(path);
    out << "auth:\n  enabled: true\n  tokens:\n    - {name: a, sha256: " << kHex
        << ", tenant: t, roles: [admin, owner]}\n";
  }
  ServerConfig config;
  const absl::Status status = LoadConfigFile(path, &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find(path), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("auth.tokens[0].roles[1]"), std::string::npos)
      << status.message();
  std::remove(path.c_str());
}

TEST(AuthConfigTest, AuthenticationIsOffByDefault) {
  ServerConfig config;
  EXPECT_FALSE(config.auth.enabled);
  EXPECT_FALSE(config.tls.enabled());
}

TEST(TlsConfigTest, ChecksThatTheFilesComeInPairs) {
  EXPECT_TRUE(TlsError("{cert_file: a.pem, key_file: a.key}").empty());
  EXPECT_NE(TlsError("{cert_file: a.pem}").find("tls.key_file"), std::string::npos);
  EXPECT_NE(TlsError("{client_ca_file: ca.pem}").find("tls.client_ca_file"), std::string::npos);
  EXPECT_NE(TlsError("{cert_file: a, key_file: b, require_client_cert: true}")
                .find("tls.require_client_cert"),
            std::string::npos);
  EXPECT_NE(
      TlsError("{cert_file: a, key_file: b, reload_interval_s: 0}").find("tls.reload_interval_s"),
      std::string::npos);
  EXPECT_NE(TlsError("{cert: a}").find("tls.cert\""), std::string::npos);
}

TEST(AuthTest, Sha256MatchesTheStandardVector) {
  EXPECT_EQ(absl::BytesToHexString(api::Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(AuthTest, RoleNames) {
  EXPECT_EQ(RoleNames(kRoleAdmin | kRoleReader), "admin,reader");
  EXPECT_EQ(RoleNames(kRolePublisher), "publisher");
  EXPECT_EQ(ParseRole("reader"), kRoleReader);
  EXPECT_EQ(ParseRole("Reader"), std::nullopt);
}

// Every method of every triggerfish.v1 service has exactly one policy, and
// every policy names a real method. (The integration test enumerates the
// services the running server offers through reflection.)
TEST(AuthTest, EveryMethodOfEveryServiceHasAPolicy) {
  std::set<std::string> methods;
  // One message of each service file links the file's descriptors in.
  std::set<const google::protobuf::ServiceDescriptor*> services;
  for (const auto* file :
       {v1::CreateRuleRequest::descriptor()->file(), v1::PublishEventRequest::descriptor()->file(),
        v1::GetTicketRequest::descriptor()->file(), v1::ListExecutionsRequest::descriptor()->file(),
        v1::CreateAgentRequest::descriptor()->file(),
        v1::ListPluginsRequest::descriptor()->file()}) {
    for (int i = 0; i < file->service_count(); ++i) services.insert(file->service(i));
  }
  EXPECT_EQ(services.size(), 6u);
  for (const auto* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      methods.insert(service->full_name() + "/" + service->method(i)->name());
    }
  }
  std::set<std::string> policies;
  for (const auto& policy : api::MethodPolicies()) {
    EXPECT_NE(policy.roles, 0) << policy.full_name;
    EXPECT_TRUE(policies.insert(std::string(policy.full_name)).second) << policy.full_name;
    EXPECT_EQ(api::FindMethodPolicy(policy.full_name), &policy);
  }
  EXPECT_EQ(methods, policies);
}

// Plugins load only from the configured directories at start: no request
// of any RPC has a field that could name a file, a directory or a library.
void CollectFieldNames(const google::protobuf::Descriptor* message, const std::string& prefix,
                       std::set<const google::protobuf::Descriptor*>* seen,
                       std::vector<std::string>* out) {
  // Well-known types (Struct, FieldMask, Timestamp) carry data, not paths.
  if (message->file()->package() == "google.protobuf" || !seen->insert(message).second) return;
  for (int i = 0; i < message->field_count(); ++i) {
    const auto* field = message->field(i);
    out->push_back(prefix + field->name());
    if (field->message_type() != nullptr) {
      CollectFieldNames(field->message_type(), prefix + field->name() + ".", seen, out);
    }
  }
}

TEST(AuthTest, NoRequestFieldNamesAFileOrDirectory) {
  int requests = 0;
  for (const auto& policy : api::MethodPolicies()) {
    const std::string name(policy.full_name);
    const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
        name.substr(0, name.find('/')));
    ASSERT_NE(service, nullptr) << name;
    const auto* method = service->FindMethodByName(name.substr(name.find('/') + 1));
    ASSERT_NE(method, nullptr) << name;
    std::set<const google::protobuf::Descriptor*> seen;
    std::vector<std::string> fields;
    CollectFieldNames(method->input_type(), "", &seen, &fields);
    ++requests;
    for (const auto& field : fields) {
      const std::string leaf = field.substr(field.rfind('.') + 1);
      for (const char* word : {"path", "file", "dir", "librar", "plugin_dir", "so_name"}) {
        EXPECT_EQ(leaf.find(word), std::string::npos) << name << " request field " << field;
      }
    }
  }
  EXPECT_EQ(requests, static_cast<int>(api::Method::kCount));
}

}  // namespace
}  // namespace triggerfish::server
