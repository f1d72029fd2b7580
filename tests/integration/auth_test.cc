// Bearer-token authentication and roles in the real triggerfishd. Every
// method of every triggerfish.v1 service the server offers (found through
// server reflection, so a new RPC is covered without editing this file) is
// called with no token, malformed ones, an unknown one, and one token per
// role.

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/grpc_status.h"
#include "tests/testing/server_process.h"
#include "tests/testing/tokens.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::AddBearer;
using testing::ErrorReason;
using testing::FromJson;
using testing::ServerProcess;
using testing::Sha256Hex;

// Which roles each RPC accepts: the table of docs/authentication.md, stated
// again here so that a change to server/api/auth.cc is a visible decision.
const std::map<std::string, std::set<std::string>>& ExpectedRoles() {
  static const std::map<std::string, std::set<std::string>> roles = {
      {"/triggerfish.v1.RuleService/CreateRule", {"admin"}},
      {"/triggerfish.v1.RuleService/GetRule", {"admin", "reader"}},
      {"/triggerfish.v1.RuleService/ListRules", {"admin", "reader"}},
      {"/triggerfish.v1.RuleService/UpdateRule", {"admin"}},
      {"/triggerfish.v1.RuleService/DeleteRule", {"admin"}},
      {"/triggerfish.v1.EventService/PublishEvent", {"publisher"}},
      {"/triggerfish.v1.EventService/PublishEvents", {"publisher"}},
      {"/triggerfish.v1.EventService/EvaluateEvent", {"publisher", "admin"}},
      {"/triggerfish.v1.TicketService/GetTicket", {"reader"}},
      {"/triggerfish.v1.TicketService/ListTickets", {"reader"}},
      {"/triggerfish.v1.ExecutionService/ListExecutions", {"reader", "admin"}},
      {"/triggerfish.v1.ExecutionService/GetExecution", {"reader", "admin"}},
      {"/triggerfish.v1.ExecutionService/RetryExecution", {"admin"}},
      {"/triggerfish.v1.AgentService/CreateAgent", {"admin"}},
      {"/triggerfish.v1.AgentService/UpsertAgent", {"admin"}},
      {"/triggerfish.v1.AgentService/GetAgent", {"admin", "reader"}},
      {"/triggerfish.v1.AgentService/ListAgents", {"admin", "reader"}},
      {"/triggerfish.v1.AgentService/UpdateAgent", {"admin"}},
      {"/triggerfish.v1.AgentService/DeleteAgent", {"admin"}},
      {"/triggerfish.v1.PluginService/ListPlugins", {"admin"}},
      {"/triggerfish.v1.PluginService/ListActions", {"admin"}},
      {"/triggerfish.v1.PluginService/ListPluginState", {"reader"}},
  };
  return roles;
}

// One token per role, and one with all three, all of tenant "acme".
const std::map<std::string, std::string>& TokenOfRole() {
  static const std::map<std::string, std::string> tokens = {
      {"admin", "admin-7f3c0a9e51d2b8e4"},
      {"publisher", "publisher-1b6d93e07c2a5f48"},
      {"reader", "reader-c84e2f17a90b3d65"},
      {"all", "all-5e0b7d2c9f14a386"},
  };
  return tokens;
}

// Every "/triggerfish.v1.<Service>/<Method>" the server's reflection lists.
std::set<std::string> RemoteMethods(const std::shared_ptr<grpc::Channel>& channel) {
  namespace reflection = grpc::reflection::v1alpha;
  auto stub = reflection::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->ServerReflectionInfo(&context);
  reflection::ServerReflectionRequest request;
  reflection::ServerReflectionResponse response;
  request.set_list_services("");
  EXPECT_TRUE(stream->Write(request));
  EXPECT_TRUE(stream->Read(&response));
  std::vector<std::string> services;
  for (const auto& s : response.list_services_response().service()) {
    if (s.name().starts_with("triggerfish.")) services.push_back(s.name());
  }
  std::set<std::string> methods;
  for (const auto& service : services) {
    request.set_file_containing_symbol(service);
    EXPECT_TRUE(stream->Write(request));
    EXPECT_TRUE(stream->Read(&response));
    for (const auto& bytes : response.file_descriptor_response().file_descriptor_proto()) {
      google::protobuf::FileDescriptorProto file;
      EXPECT_TRUE(file.ParseFromString(bytes));
      for (const auto& s : file.service()) {
        if (file.package() + "." + s.name() != service) continue;
        for (const auto& m : s.method()) methods.insert("/" + service + "/" + m.name());
      }
    }
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  return methods;
}

// Calls `method` with one empty request message (a valid, empty proto of
// any type), as a bidirectional stream so that every kind of RPC goes
// through the same path. `authorization` is the raw metadata value ("" for
// none).
grpc::Status CallRaw(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     const std::string& authorization) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!authorization.empty()) context.AddMetadata("authorization", authorization);
  auto call = stub.PrepareCall(&context, method, &cq);
  auto step = [&](int tag) {
    void* got = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&got, &ok));
    EXPECT_EQ(got, reinterpret_cast<void*>(tag));
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  step(1);
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  step(2);
  call->WritesDone(reinterpret_cast<void*>(3));
  step(3);
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(4));
  step(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

std::string ErrorInfoMetadata(const grpc::Status& status, const std::string& key) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return "";
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info) && info.metadata().contains(key)) return info.metadata().at(key);
  }
  return "";
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    config_ = "/tmp/triggerfish-auth-config-" + std::to_string(getpid()) + "-" +
              std::to_string(++counter) + ".yaml";
    std::ofstream out(config_);
    out << "auth:\n  enabled: true\n  tokens:\n"
        << "    - {name: acme-admin, sha256: \"" << Sha256Hex(TokenOfRole().at("admin"))
        << "\", tenant: acme, roles: [admin]}\n"
        << "    - {name: acme-publisher, sha256: \"" << Sha256Hex(TokenOfRole().at("publisher"))
        << "\", tenant: acme, roles: [publisher]}\n"
        << "    - {name: acme-reader, sha256: \"" << Sha256Hex(TokenOfRole().at("reader"))
        << "\", tenant: acme, roles: [reader]}\n"
        << "    - {name: acme-all, sha256: \"" << Sha256Hex(TokenOfRole().at("all"))
        << "\", tenant: acme, roles: [admin, publisher, reader]}\n";
    out.close();
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{"--config", config_});
    ASSERT_TRUE(server_->Start()) << server_->log();
    channel_ = server_->Channel();
  }

  void TearDown() override { std::remove(config_.c_str()); }

  std::unique_ptr<ServerProcess> server_;
  std::string config_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(AuthTest, ReflectionListsExactlyTheMethodsOfTheRolesTable) {
  std::set<std::string> expected;
  for (const auto& [method, roles] : ExpectedRoles()) expected.insert(method);
  // A new RPC fails here until its roles are decided (server/api/auth.cc,
  // docs/authentication.md and the table above).
  EXPECT_EQ(RemoteMethods(channel_), expected);
}

TEST_F(AuthTest, EveryMethodRefusesCallsWithoutAValidToken) {
  const std::vector<std::string> bad_headers = {
      "",                                         // no header
      "Bearer not-a-configured-token",            // unknown token
      "Bearer ",                                  // empty token
      "Basic " + TokenOfRole().at("all"),         // another scheme
      TokenOfRole().at("all"),                    // no scheme
      "Bearer" + TokenOfRole().at("all"),         // no space
      "Bearer " + TokenOfRole().at("all") + "x",  // a near miss
  };
  std::string first_message;
  for (const auto& method : RemoteMethods(channel_)) {
    for (const auto& header : bad_headers) {
      const grpc::Status status = CallRaw(channel_, method, header);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << method << " with \"" << header << "\": " << status.error_message();
      EXPECT_EQ(ErrorReason(status), "UNAUTHENTICATED") << method;
      // The same words whatever was wrong: nothing to learn from them.
      if (first_message.empty()) first_message = status.error_message();
      EXPECT_EQ(status.error_message(), first_message) << method << " with \"" << header << "\"";
    }
  }
  EXPECT_FALSE(first_message.empty());
}

TEST_F(AuthTest, EachMethodAcceptsExactlyTheRolesOfTheTable) {
  for (const auto& [method, roles] : ExpectedRoles()) {
    for (const std::string role : {"admin", "publisher", "reader"}) {
      const grpc::Status status = CallRaw(channel_, method, "Bearer " + TokenOfRole().at(role));
      if (roles.contains(role)) {
        // Allowed: whatever the empty request leads to (INVALID_ARGUMENT,
        // NOT_FOUND, OK), but not an authentication or permission error.
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method << " " << role;
        EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << method << " " << role << ": " << status.error_message();
      } else {
        ASSERT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << method << " " << role << ": " << status.error_message();
        EXPECT_EQ(ErrorReason(status), "ROLE_REQUIRED");
        // The message names the role(s) that would do.
        for (const auto& needed : roles) {
          EXPECT_NE(status.error_message().find(needed), std::string::npos)
              << method << ": " << status.error_message();
          EXPECT_NE(ErrorInfoMetadata(status, "roles").find(needed), std::string::npos);
        }
      }
    }
    const grpc::Status all = CallRaw(channel_, method, "Bearer " + TokenOfRole().at("all"));
    EXPECT_NE(all.error_code(), grpc::StatusCode::PERMISSION_DENIED) << method;
    EXPECT_NE(all.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method;
  }
}

TEST_F(AuthTest, PermissionIsDecidedBeforeAnythingIsLookedUp) {
  auto rules = v1::RuleService::NewStub(channel_);
  {
    grpc::ClientContext context;
    AddBearer(&context, TokenOfRole().at("admin"));
    v1::CreateRuleRequest request;
    request.set_rule_id("exists");
    *request.mutable_rule() = FromJson<v1::Rule>(
        R"({"name": "r", "trigger": {"event_types": ["ticket.created"]},
            "actions": [{"type": "ticket.add_tags", "params": {"tags": ["x"]}}]})");
    v1::Rule rule;
    ASSERT_TRUE(rules->CreateRule(&context, request, &rule).ok());
  }
  // A reader cannot tell an existing rule from a missing one by deleting.
  auto remove = [&](const std::string& token, const std::string& id) {
    grpc::ClientContext context;
    AddBearer(&context, token);
    v1::DeleteRuleRequest request;
    request.set_id(id);
    google::protobuf::Empty empty;
    return rules->DeleteRule(&context, request, &empty);
  };
  const grpc::Status existing = remove(TokenOfRole().at("reader"), "exists");
  const grpc::Status missing = remove(TokenOfRole().at("reader"), "missing");
  EXPECT_EQ(existing.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(existing.error_message(), missing.error_message());
  // Nor can an unknown token, by reading.
  auto get = [&](const std::string& token, const std::string& id) {
    grpc::ClientContext context;
    AddBearer(&context, token);
    v1::GetRuleRequest request;
    request.set_id(id);
    v1::Rule rule;
    return rules->GetRule(&context, request, &rule);
  };
  EXPECT_EQ(get("guess", "exists").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(get("guess", "exists").error_message(), get("guess", "missing").error_message());
  // The rule is still there, and readable with the reader token.
  EXPECT_TRUE(get(TokenOfRole().at("reader"), "exists").ok());
  // The scheme is case-insensitive (RFC 6750).
  grpc::ClientContext context;
  context.AddMetadata("authorization", "bearer " + TokenOfRole().at("reader"));
  v1::GetRuleRequest request;
  request.set_id("exists");
  v1::Rule rule;
  EXPECT_TRUE(rules->GetRule(&context, request, &rule).ok());
}

TEST_F(AuthTest, HealthAndReflectionNeedNoToken) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_FALSE(RemoteMethods(channel_).empty());
  EXPECT_NE(server_->log().find("authentication is enabled: 4 bearer tokens"), std::string::npos);
  EXPECT_EQ(server_->log().find("authentication is disabled"), std::string::npos);
}

TEST(AuthOffTest, TheServerSaysLoudlyThatAuthenticationIsOff) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  EXPECT_NE(server.log().find("authentication is disabled: every caller is tenant "
                              "\"default\" with every role"),
            std::string::npos)
      << server.log();
  // And every caller may do everything, with or without a token.
  auto rules = v1::RuleService::NewStub(server.Channel());
  grpc::ClientContext context;
  AddBearer(&context, "anything");
  v1::ListRulesResponse response;
  EXPECT_TRUE(rules->ListRules(&context, {}, &response).ok());
}

TEST(AuthConfigStartTest, ABadTokenEntryStopsTheServerNamingTheKey) {
  ServerProcess server;
  const std::string config = server.dir() + "/bad-auth.yaml";
  {
    std::ofstream out(config);
    out << "auth:\n  enabled: true\n  tokens:\n"
        << "    - {name: a, sha256: \"" << Sha256Hex("a") << "\", tenant: acme, roles: [reader]}\n"
        << "    - {name: b, sha256: \"" << Sha256Hex("b")
        << "\", tenant: acme, roles: [reader, superuser]}\n";
  }
  ServerProcess bad({"--config", config});
  EXPECT_FALSE(bad.Start());
  EXPECT_NE(bad.log().find("auth.tokens[1].roles[1]"), std::string::npos) << bad.log();
}

}  // namespace
}  // namespace triggerfish
