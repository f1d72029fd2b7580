// TRIGGERFISH_<KEY> environment variables through the real binary: they
// override the config file, and flags override them.

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tests/testing/tokens.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish {
namespace {

using ::testing::HasSubstr;
using testing::ServerProcess;

// Sets environment variables for the servers started in one test (children
// inherit them) and removes them again.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<std::string, std::string>> vars) {
    for (const auto& [name, value] : vars) {
      setenv(name.c_str(), value.c_str(), 1);
      names_.push_back(name);
    }
  }
  ~ScopedEnv() {
    for (const auto& name : names_) unsetenv(name.c_str());
  }

 private:
  std::vector<std::string> names_;
};

class EnvironmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/triggerfish-env-XXXXXX";
    dir_ = mkdtemp(pattern);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(EnvironmentTest, EnvironmentOverridesTheFileAndFlagsOverrideTheEnvironment) {
  const std::string config = dir_ + "/triggerfish.yaml";
  // The file names seed rules that do not exist: the server would refuse to
  // start if the environment did not replace them.
  std::ofstream(config) << "seed_rules: " << dir_ << "/missing.yaml\n";
  const std::string seed = dir_ + "/seed.yaml";
  std::ofstream(seed) << R"(rules:
  - id: from-env
    name: seeded from the file TRIGGERFISH_SEED_RULES names
    trigger: {event_types: [ticket.created]}
    actions: [{type: ticket.add_tags, params: {tags: [seen]}}]
)";
  ScopedEnv env({{"TRIGGERFISH_CONFIG", config},
                 {"TRIGGERFISH_SEED_RULES", seed},
                 // The test harness passes --listen and --store: they win.
                 {"TRIGGERFISH_LISTEN", "256.0.0.1:1"},
                 {"TRIGGERFISH_STORE", dir_ + "/no-such-dir/tf.db"},
                 // What Kubernetes sets for a Service named triggerfish.
                 {"TRIGGERFISH_SERVICE_HOST", "10.0.0.1"},
                 {"TRIGGERFISH_PORT", "tcp://10.0.0.1:50051"}});
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  auto rules = v1::RuleService::NewStub(server.Channel());
  grpc::ClientContext context;
  v1::ListRulesRequest request;
  v1::ListRulesResponse response;
  ASSERT_TRUE(rules->ListRules(&context, request, &response).ok());
  std::set<std::string> ids;
  for (const auto& rule : response.rules()) ids.insert(rule.id());
  EXPECT_EQ(ids, std::set<std::string>{"from-env"}) << server.log();
  EXPECT_TRUE(std::filesystem::exists(server.store_path()));
}

TEST_F(EnvironmentTest, AuthFromTheEnvironmentAsAKubernetesSecretGivesIt) {
  // deploy/k8s/secret.yaml: the auth key as a YAML flow mapping.
  const std::string token = "env-token-7f3a";
  ScopedEnv env({{"TRIGGERFISH_AUTH",
                  "{enabled: true, tokens: [{name: helpdesk, tenant: acme, "
                  "roles: [reader], sha256: \"" +
                      testing::Sha256Hex(token) + "\"}]}"}});
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  auto rules = v1::RuleService::NewStub(server.Channel());
  {
    grpc::ClientContext context;
    v1::ListRulesRequest request;
    v1::ListRulesResponse response;
    EXPECT_EQ(rules->ListRules(&context, request, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    // Probes and load balancers carry no token.
    auto health = grpc::health::v1::Health::NewStub(server.Channel());
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, request, &response).ok());
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
  grpc::ClientContext context;
  testing::AddBearer(&context, token);
  v1::ListRulesRequest request;
  v1::ListRulesResponse response;
  const grpc::Status status = rules->ListRules(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(EnvironmentTest, ValueOfTheWrongTypeStopsTheStartNamingTheVariable) {
  ScopedEnv env({{"TRIGGERFISH_SHUTDOWN_GRACE_MS", "soon"}});
  ServerProcess server;
  EXPECT_FALSE(server.Start());
  EXPECT_THAT(server.log(), HasSubstr("environment variable TRIGGERFISH_SHUTDOWN_GRACE_MS"));
  EXPECT_THAT(server.log(), HasSubstr("\"shutdown_grace_ms\" has the wrong type"));
}

}  // namespace
}  // namespace triggerfish
