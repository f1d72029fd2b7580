// Config file parsing (the grpc: connection settings, shutdown grace) and the
// TRIGGERFISH_<KEY> environment overrides.

#include "server/config/config.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace triggerfish::server {
namespace {

using ::testing::HasSubstr;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/triggerfish-config-XXXXXX";
    dir_ = mkdtemp(pattern);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Loads `yaml` as a config file over `config`.
  absl::Status Load(const std::string& yaml, ServerConfig* config) {
    const std::string path = dir_ + "/triggerfish.yaml";
    std::ofstream(path) << yaml;
    return LoadConfigFile(path, config);
  }

  std::string dir_;
};

TEST_F(ConfigTest, GrpcDefaultsSuitAMesh) {
  ServerConfig config;
  EXPECT_EQ(config.grpc.max_connection_age_ms, 30 * 60 * 1000);
  EXPECT_EQ(config.grpc.max_connection_age_grace_ms, 5 * 60 * 1000);
  EXPECT_EQ(config.grpc.keepalive_time_ms, 60000);
  EXPECT_EQ(config.grpc.keepalive_timeout_ms, 20000);
  EXPECT_TRUE(config.grpc.keepalive_permit_without_calls);
  EXPECT_EQ(config.grpc.min_ping_interval_ms, 10000);
  EXPECT_EQ(config.grpc.max_connection_idle_ms, 0);
  EXPECT_EQ(config.grpc.max_concurrent_streams, 1000);
  EXPECT_EQ(config.shutdown_grace_ms, 10000);
}

TEST_F(ConfigTest, ReadsEveryGrpcKey) {
  ServerConfig config;
  ASSERT_TRUE(Load(R"(
shutdown_grace_ms: 25000
max_message_bytes: 1048576
grpc:
  keepalive_time_ms: 30000
  keepalive_timeout_ms: 5000
  keepalive_permit_without_calls: false
  min_ping_interval_ms: 15000
  max_connection_age_ms: 600000
  max_connection_age_grace_ms: 60000
  max_connection_idle_ms: 120000
  max_concurrent_streams: 64
)",
                   &config)
                  .ok());
  EXPECT_EQ(config.shutdown_grace_ms, 25000);
  EXPECT_EQ(config.max_message_bytes, 1048576);
  EXPECT_EQ(config.grpc.keepalive_time_ms, 30000);
  EXPECT_EQ(config.grpc.keepalive_timeout_ms, 5000);
  EXPECT_FALSE(config.grpc.keepalive_permit_without_calls);
  EXPECT_EQ(config.grpc.min_ping_interval_ms, 15000);
  EXPECT_EQ(config.grpc.max_connection_age_ms, 600000);
  EXPECT_EQ(config.grpc.max_connection_age_grace_ms, 60000);
  EXPECT_EQ(config.grpc.max_connection_idle_ms, 120000);
  EXPECT_EQ(config.grpc.max_concurrent_streams, 64);
}

TEST_F(ConfigTest, KeysNotGivenKeepTheirDefaults) {
  ServerConfig config;
  ASSERT_TRUE(Load("grpc: {max_connection_age_ms: 1000}\n", &config).ok());
  EXPECT_EQ(config.grpc.max_connection_age_ms, 1000);
  EXPECT_EQ(config.grpc.max_connection_age_grace_ms, 5 * 60 * 1000);
  EXPECT_EQ(config.grpc.max_concurrent_streams, 1000);
}

TEST_F(ConfigTest, GrpcErrorsNameTheKey) {
  struct Case {
    std::string yaml;
    std::string message;
  };
  const Case cases[] = {
      {"grpc: {max_connection_age_ms: soon}\n",
       "config key \"grpc.max_connection_age_ms\" has the wrong type"},
      {"grpc: {max_concurrent_streams: 1.5}\n",
       "config key \"grpc.max_concurrent_streams\" has the wrong type"},
      {"grpc: {keepalive_time_ms: \"60000\"}\n",
       "config key \"grpc.keepalive_time_ms\" has the wrong type"},
      {"grpc: {keepalive_permit_without_calls: 1}\n",
       "config key \"grpc.keepalive_permit_without_calls\" has the wrong type"},
      {"grpc: {max_connection_idle_ms: -5}\n",
       "config key \"grpc.max_connection_idle_ms\" must not be negative"},
      {"grpc: {keepalive_timeout_ms: 0}\n",
       "config key \"grpc.keepalive_timeout_ms\" must be positive"},
      {"grpc: {max_conection_age_ms: 1000}\n", "unknown config key \"grpc.max_conection_age_ms\""},
      {"grpc: 5\n", "config key \"grpc\" must be a mapping"},
      {"shutdown_grace_ms: later\n", "config key \"shutdown_grace_ms\" has the wrong type"},
      {"shutdown_grace_ms: -1\n", "config key \"shutdown_grace_ms\" must not be negative"},
  };
  for (const auto& c : cases) {
    ServerConfig config;
    const absl::Status status = Load(c.yaml, &config);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.yaml;
    EXPECT_THAT(std::string(status.message()), HasSubstr("triggerfish.yaml")) << c.yaml;
  }
}

TEST_F(ConfigTest, ReadsTheObservabilityKeys) {
  ServerConfig config;
  EXPECT_EQ(config.admin_listen, "0.0.0.0:9090");
  EXPECT_EQ(config.log_format, "plain");
  ASSERT_TRUE(Load("admin_listen: \"127.0.0.1:0\"\nlog_format: json\n", &config).ok());
  EXPECT_EQ(config.admin_listen, "127.0.0.1:0");
  EXPECT_EQ(config.log_format, "json");
  // An empty address (the admin server off), from the file or the environment.
  ASSERT_TRUE(Load("admin_listen: \"\"\n", &config).ok());
  EXPECT_EQ(config.admin_listen, "");
  ServerConfig from_env;
  ASSERT_TRUE(ApplyEnvironment(
                  {{"TRIGGERFISH_ADMIN_LISTEN", ""}, {"TRIGGERFISH_LOG_FORMAT", "json"}}, &from_env)
                  .ok());
  EXPECT_EQ(from_env.admin_listen, "");
  EXPECT_EQ(from_env.log_format, "json");
}

TEST_F(ConfigTest, ReadsTheInlineActionKeys) {
  ServerConfig config;
  EXPECT_EQ(config.cycle_threads, 4);
  ASSERT_TRUE(Load("inline_action_timeout_ms: 250\ncycle_threads: 3\n", &config).ok());
  EXPECT_EQ(config.inline_action_timeout_ms, 250);
  EXPECT_EQ(config.cycle_threads, 3);
  const absl::Status status = Load("cycle_threads: 0\n", &config);
  EXPECT_THAT(std::string(status.message()), HasSubstr("cycle_threads"));
}

TEST_F(ConfigTest, UnknownTopLevelKeyIsAnError) {
  ServerConfig config;
  const absl::Status status = Load("listn: 0.0.0.0:1\n", &config);
  EXPECT_THAT(std::string(status.message()), HasSubstr("unknown config key \"listn\""));
}

TEST(EnvironmentTest, SetsTopLevelScalarKeys) {
  ServerConfig config;
  ASSERT_TRUE(ApplyEnvironment({{"TRIGGERFISH_LISTEN", "127.0.0.1:7000"},
                                {"TRIGGERFISH_STORE", "/data/tf.db"},
                                {"TRIGGERFISH_LOG_LEVEL", "debug"},
                                {"TRIGGERFISH_MAX_MESSAGE_BYTES", "1024"},
                                {"TRIGGERFISH_SKIP_BAD_PLUGINS", "true"},
                                {"TRIGGERFISH_SHUTDOWN_GRACE_MS", "20000"},
                                {"TRIGGERFISH_PLUGIN_DIRS", "/opt/a::/opt/b"}},
                               &config)
                  .ok());
  EXPECT_EQ(config.listen, "127.0.0.1:7000");
  EXPECT_EQ(config.store_path, "/data/tf.db");
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.max_message_bytes, 1024);
  EXPECT_TRUE(config.skip_bad_plugins);
  EXPECT_EQ(config.shutdown_grace_ms, 20000);
  EXPECT_EQ(config.plugin_dirs, (std::vector<std::string>{"/opt/a", "/opt/b"}));
}

TEST(EnvironmentTest, IgnoresVariablesThatAreNotKeys) {
  // Kubernetes sets these for a Service named "triggerfish"; other programs'
  // variables are not ours either.
  ServerConfig config;
  ASSERT_TRUE(ApplyEnvironment({{"TRIGGERFISH_SERVICE_HOST", "10.0.0.1"},
                                {"TRIGGERFISH_PORT", "tcp://10.0.0.1:50051"},
                                {"TRIGGERFISH_CONFIG", "/etc/triggerfish/triggerfish.yaml"},
                                {"TRIGGERFISH_", "x"},
                                {"LISTEN", "1.2.3.4:5"},
                                {"HOME", "/root"}},
                               &config)
                  .ok());
  EXPECT_EQ(config.listen, ServerConfig().listen);
}

TEST(EnvironmentTest, EmptyValueIsTheEmptyString) {
  ServerConfig config;
  config.seed_rules = "rules.yaml";
  ASSERT_TRUE(ApplyEnvironment({{"TRIGGERFISH_SEED_RULES", ""}}, &config).ok());
  EXPECT_EQ(config.seed_rules, "");
  const absl::Status status = ApplyEnvironment({{"TRIGGERFISH_TIMER_POLL_MS", ""}}, &config);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("environment variable TRIGGERFISH_TIMER_POLL_MS"));
}

TEST(EnvironmentTest, NumericLookingTextForAStringKeyStaysText) {
  ServerConfig config;
  ASSERT_TRUE(ApplyEnvironment({{"TRIGGERFISH_STORE", "2024"}}, &config).ok());
  EXPECT_EQ(config.store_path, "2024");
}

TEST(EnvironmentTest, WrongTypeNamesTheVariable) {
  ServerConfig config;
  const absl::Status status =
      ApplyEnvironment({{"TRIGGERFISH_MAX_MESSAGE_BYTES", "lots"}}, &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("environment variable TRIGGERFISH_MAX_MESSAGE_BYTES"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"max_message_bytes\""));
  EXPECT_EQ(config.max_message_bytes, ServerConfig().max_message_bytes);
}

TEST(EnvironmentTest, MappingKeysTakeYamlFlowValues) {
  ServerConfig config;
  ASSERT_TRUE(ApplyEnvironment({{"TRIGGERFISH_GRPC", "{max_connection_age_ms: 60000}"},
                                {"TRIGGERFISH_OUTBOX", "{threads: 8, max_attempts: 3}"},
                                {"TRIGGERFISH_PLUGIN_DIRS", "[/opt/a, /opt/b:c]"}},
                               &config)
                  .ok());
  EXPECT_EQ(config.grpc.max_connection_age_ms, 60000);
  EXPECT_EQ(config.grpc.max_connection_age_grace_ms, 5 * 60 * 1000);
  EXPECT_EQ(config.outbox.threads, 8);
  EXPECT_EQ(config.outbox.max_attempts, 3);
  EXPECT_EQ(config.plugin_dirs, (std::vector<std::string>{"/opt/a", "/opt/b:c"}));
}

TEST(EnvironmentTest, MappingKeyErrorsNameTheVariableAndTheKey) {
  struct Case {
    std::string name, value, message;
  };
  const Case cases[] = {
      {"TRIGGERFISH_GRPC", "1", "config key \"grpc\" must be a mapping"},
      {"TRIGGERFISH_GRPC", "{max_connection_age_ms: soon}",
       "config key \"grpc.max_connection_age_ms\" has the wrong type"},
      {"TRIGGERFISH_LIMITS", "{max_actions: [}", "invalid YAML"},
  };
  for (const auto& c : cases) {
    ServerConfig config;
    const absl::Status status = ApplyEnvironment({{c.name, c.value}}, &config);
    EXPECT_THAT(std::string(status.message()), HasSubstr("environment variable " + c.name))
        << c.value;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.value;
  }
}

TEST(EnvironmentTest, ListsTheVariablesItIgnored) {
  ServerConfig config;
  std::vector<std::string> ignored;
  ASSERT_TRUE(
      ApplyEnvironment(
          {{"TRIGGERFISH_LOGLEVEL", "debug"}, {"TRIGGERFISH_LOG_LEVEL", "warn"}, {"PATH", "/bin"}},
          &config, &ignored)
          .ok());
  EXPECT_EQ(config.log_level, "warn");
  EXPECT_EQ(ignored, std::vector<std::string>{"TRIGGERFISH_LOGLEVEL"});
}

TEST_F(ConfigTest, EnvironmentOverridesTheFile) {
  ServerConfig config;
  ASSERT_TRUE(Load("listen: 0.0.0.0:1111\nstore: file.db\nlog_level: warn\n", &config).ok());
  ASSERT_TRUE(ApplyEnvironment({{"TRIGGERFISH_LISTEN", "0.0.0.0:2222"}}, &config).ok());
  EXPECT_EQ(config.listen, "0.0.0.0:2222");
  EXPECT_EQ(config.store_path, "file.db");
  EXPECT_EQ(config.log_level, "warn");
}

TEST(EnvironmentTest, ProcessEnvironmentSeesSetenv) {
  setenv("TRIGGERFISH_CONFIG_TEST_PROBE", "a=b", 1);
  const auto env = ProcessEnvironment();
  ASSERT_TRUE(env.contains("TRIGGERFISH_CONFIG_TEST_PROBE"));
  EXPECT_EQ(env.at("TRIGGERFISH_CONFIG_TEST_PROBE"), "a=b");
  unsetenv("TRIGGERFISH_CONFIG_TEST_PROBE");
}

// The Kubernetes manifests hold server configuration: the ConfigMap's
// triggerfish.yaml and the Secret's TRIGGERFISH_AUTH must be what the server
// accepts.
TEST_F(ConfigTest, KubernetesConfigMapAndSecretAreValidConfig) {
  const std::string k8s = std::string(TRIGGERFISH_SOURCE_DIR) + "/deploy/k8s/";
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  auto configmap = YamlToJson(read(k8s + "configmap.yaml"));
  ASSERT_TRUE(configmap.ok()) << configmap.status();
  ServerConfig config;
  const absl::Status loaded =
      Load((*configmap)["data"]["triggerfish.yaml"].get<std::string>(), &config);
  ASSERT_TRUE(loaded.ok()) << loaded;
  EXPECT_EQ(config.store_path, "/var/lib/triggerfish/triggerfish.db");
  EXPECT_TRUE(config.plugin_configs.contains("email"));

  auto secret = YamlToJson(read(k8s + "secret.yaml"));
  ASSERT_TRUE(secret.ok()) << secret.status();
  std::map<std::string, std::string> env;
  for (const auto& [name, value] : (*secret)["stringData"].items()) {
    env[name] = value.get<std::string>();
  }
  std::vector<std::string> ignored;
  const absl::Status applied = ApplyEnvironment(env, &config, &ignored);
  ASSERT_TRUE(applied.ok()) << applied;
  EXPECT_TRUE(config.auth.enabled);
  EXPECT_EQ(config.auth.tokens.size(), 2u);
  // The SMTP credentials (TF_SMTP_*) are the email plugin's, outside the
  // TRIGGERFISH_ namespace.
  EXPECT_TRUE(ignored.empty());
}

}  // namespace
}  // namespace triggerfish::server
