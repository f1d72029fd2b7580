#include "server/plugins/plugin_host.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <triggerfish/testing/fake_host.h>

namespace triggerfish::server::plugins {

void PrintTo(const SchemaViolation& v, std::ostream* os) { *os << v.path << ": " << v.message; }

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using Json = nlohmann::json;

std::filesystem::path Fixture(const std::string& name) {
  return std::filesystem::path(TF_FIXTURE_PLUGIN_DIR) / (name + ".so");
}

// A directory holding symlinks to the given fixture modules.
class PluginDir {
 public:
  explicit PluginDir(const std::vector<std::string>& fixtures) {
    path_ = std::filesystem::temp_directory_path() /
            ("tf-plugins-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
    for (const std::string& f : fixtures) {
      std::filesystem::create_symlink(Fixture(f), path_ / (f + ".so"));
    }
  }
  ~PluginDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

class PluginHostTest : public ::testing::Test {
 protected:
  absl::Status Load(const std::string& fixture) { return host_->LoadFile(Fixture(fixture)); }
  ExecuteOutcome Run(const std::string& type, const std::string& params = "{}",
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    auto execution = fake_.NewExecution({"acme", type.substr(0, type.find('.')), "T1"});
    ExecuteRequest request;
    request.ctx = execution->ctx();
    request.params_json = params;
    request.ticket_json = R"({"id": "T1", "status": "open"})";
    request.event_json = R"({"id": "E1", "type": "ticket.updated"})";
    request.operation_id = "op-7";
    request.timeout = timeout;
    return host_->Execute(type, request);
  }

  sdk::testing::FakeHost fake_;
  PluginHostOptions options_;
  std::unique_ptr<PluginHost> host_ = std::make_unique<PluginHost>(fake_.api(), options_);
};

TEST_F(PluginHostTest, LoadsPluginWrittenInCAndListsIt) {
  ASSERT_TRUE(Load("raw_good").ok());
  ASSERT_EQ(host_->plugins().size(), 1u);
  const PluginInfo& info = host_->plugins()[0];
  EXPECT_EQ(info.name, "raw_good");
  EXPECT_EQ(info.version, "0.0.1");
  EXPECT_EQ(info.build_info, "fixture");
  EXPECT_EQ(info.path, Fixture("raw_good"));
  EXPECT_EQ(info.abi_major, 1u);
  ASSERT_EQ(info.actions.size(), 1u);
  EXPECT_EQ(info.actions[0].type, "raw_good.echo");
  EXPECT_EQ(info.actions[0].mode, ActionMode::kInline);
  EXPECT_EQ(info.actions[0].params_schema, Json::parse(R"({"type": "object"})"));
  const ActionInfo* found = host_->FindAction("raw_good.echo");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->plugin, "raw_good");
  EXPECT_EQ(host_->FindAction("raw_good.nope"), nullptr);
}

TEST_F(PluginHostTest, ExecutesActionAndAttributesItsLogLine) {
  ASSERT_TRUE(Load("raw_good").ok());
  ExecuteOutcome out = Run("raw_good.echo", R"({"x": 1})");
  EXPECT_EQ(out.code, ResultCode::kOk);
  EXPECT_EQ(out.error, "");
  EXPECT_EQ(out.result, Json::parse(R"({"output": {"x": 1}})"));
  EXPECT_GT(out.duration.count(), 0);
  EXPECT_TRUE(fake_.HasLog("[raw_good] echo called"));
}

TEST_F(PluginHostTest, UnknownActionIsPermanent) {
  ExecuteOutcome out = Run("nobody.home");
  EXPECT_EQ(out.code, ResultCode::kPermanent);
  EXPECT_EQ(out.error, "no plugin provides action type 'nobody.home'");
}

struct Refusal {
  std::string fixture;
  std::string reason;
};

class RefusalTest : public PluginHostTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(RefusalTest, RefusesWithFileAndReason) {
  absl::Status status = Load(GetParam().fixture);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(std::string(status.message()),
            Fixture(GetParam().fixture).string() + ": " + GetParam().reason);
  EXPECT_THAT(host_->plugins(), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(
    BrokenFixtures, RefusalTest,
    ::testing::Values(
        Refusal{"wrong_magic", "bad magic 0xdeadbeef (expected 0x5446504c)"},
        Refusal{"abi_major_mismatch", "ABI major version 2 is not supported (host ABI is 1.0)"},
        Refusal{"abi_minor_newer", "ABI version 1.7 is newer than the host's 1.0"},
        Refusal{"missing_entry", "does not export tf_plugin_entry_v1 (not a Triggerfish plugin)"},
        Refusal{"no_execute", "action 'no_execute.echo': missing execute function"},
        Refusal{"init_fails", "init failed (PERMANENT): cannot reach the license server"},
        Refusal{"wrong_prefix",
                "action type 'ticket.echo' must start with 'wrong_prefix.' followed by [a-z0-9_]+"},
        Refusal{
            "bad_schema",
            "invalid params schema of 'bad_schema.noop': Unrecognised JSON type name 'strnig'"}),
    [](const auto& info) { return info.param.fixture; });

TEST_F(PluginHostTest, RefusesFileThatIsNotALibrary) {
  absl::Status status = host_->LoadFile("/etc/hostname");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(std::string(status.message()),
            "/etc/hostname: cannot load module: /etc/hostname: file too short");
}

TEST_F(PluginHostTest, RefusesSecondPluginWithTheSameName) {
  ASSERT_TRUE(Load("raw_good").ok());
  absl::Status status = Load("raw_good");
  EXPECT_THAT(std::string(status.message()), HasSubstr("plugin 'raw_good' is already loaded from " +
                                                       Fixture("raw_good").string()));
  EXPECT_EQ(host_->plugins().size(), 1u);
}

TEST_F(PluginHostTest, ValidatesConfigAgainstSchemaBeforeInit) {
  options_.configs["misbehaving"] = {{"unexpected", true}};
  host_ = std::make_unique<PluginHost>(fake_.api(), options_);
  absl::Status status = Load("misbehaving");
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("config does not match the plugin's config schema: /unexpected: "
                        "unknown property"));
}

TEST_F(PluginHostTest, ThrowingActionBecomesPermanentWithItsMessage) {
  ASSERT_TRUE(Load("misbehaving").ok());
  ExecuteOutcome out = Run("misbehaving.throw");
  EXPECT_EQ(out.code, ResultCode::kPermanent);
  EXPECT_EQ(out.error, "boom: the action failed");
  out = Run("misbehaving.throw_unknown");
  EXPECT_EQ(out.code, ResultCode::kPermanent);
  EXPECT_EQ(out.error, "action threw a non-standard exception");
}

TEST_F(PluginHostTest, SlowActionPastItsTimeoutIsRetryable) {
  ASSERT_TRUE(Load("misbehaving").ok());
  ExecuteOutcome out = Run("misbehaving.sleep", R"({"ms": 300})", std::chrono::milliseconds(50));
  EXPECT_EQ(out.code, ResultCode::kRetryable);
  EXPECT_THAT(out.error, HasSubstr("timed out: took 3"));
  EXPECT_THAT(out.error, HasSubstr(" ms, timeout is 50 ms"));
  EXPECT_EQ(out.result, Json::object());

  out = Run("misbehaving.sleep", R"({"ms": 1})", std::chrono::milliseconds(5000));
  EXPECT_EQ(out.code, ResultCode::kOk);
  EXPECT_EQ(out.result["message"], "slept");
}

TEST_F(PluginHostTest, InvalidResultsArePermanent) {
  ASSERT_TRUE(Load("invalid_result_json").ok());
  ASSERT_TRUE(Load("result_not_object").ok());
  ASSERT_TRUE(Load("invalid_patch").ok());
  EXPECT_EQ(Run("invalid_result_json.echo").error, "result is not valid JSON");
  EXPECT_EQ(Run("result_not_object.echo").error, "result is not a JSON object");
  ExecuteOutcome out = Run("invalid_patch.echo");
  EXPECT_EQ(out.code, ResultCode::kPermanent);
  EXPECT_EQ(out.error,
            "invalid result: /ticket_patch/set/status: Failed to match against any enum values.");
}

TEST_F(PluginHostTest, OversizedResultIsPermanent) {
  options_.max_result_bytes = 16;
  host_ = std::make_unique<PluginHost>(fake_.api(), options_);
  ASSERT_TRUE(Load("raw_good").ok());
  ExecuteOutcome out = Run("raw_good.echo", R"({"text": "more than sixteen bytes"})");
  EXPECT_EQ(out.code, ResultCode::kPermanent);
  EXPECT_EQ(out.error, "result exceeds 16 bytes");
}

TEST_F(PluginHostTest, ValidateParamsReportsPathsOfViolations) {
  ASSERT_TRUE(host_->LoadFile(TF_TICKET_PLUGIN).ok());
  auto violations = host_->ValidateParams(
      "ticket.set_fields", Json::parse(R"({"status": "archived", "colour": "red"})"));
  ASSERT_TRUE(violations.ok());
  EXPECT_THAT(
      *violations,
      UnorderedElementsAre(SchemaViolation{"/colour", "unknown property"},
                           SchemaViolation{"/status", "Failed to match against any enum values."}));
  EXPECT_THAT(*host_->ValidateParams("ticket.add_tags", Json::parse(R"({"tags": ["vip"]})")),
              IsEmpty());
  EXPECT_EQ(host_->ValidateParams("ticket.nope", Json::object()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(PluginHostTest, LoadAllRefusesByDefaultAtTheFirstBadPlugin) {
  PluginDir dir({"raw_good", "wrong_magic"});
  options_.directories = {dir.path()};
  host_ = std::make_unique<PluginHost>(fake_.api(), options_);
  absl::Status status = host_->LoadAll();
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("wrong_magic.so: bad magic 0xdeadbeef (expected 0x5446504c)"));
}

TEST_F(PluginHostTest, LoadAllSkipsBadPluginsWhenConfigured) {
  PluginDir dir({"abi_major_mismatch", "raw_good", "wrong_magic", "misbehaving"});
  options_.directories = {dir.path()};
  options_.skip_bad_plugins = true;
  host_ = std::make_unique<PluginHost>(fake_.api(), options_);
  ASSERT_TRUE(host_->LoadAll().ok());
  std::vector<std::string> names;
  for (const PluginInfo& p : host_->plugins()) names.push_back(p.name);
  EXPECT_THAT(names, ElementsAre("misbehaving", "raw_good"));
}

TEST_F(PluginHostTest, LoadAllFailsOnMissingDirectory) {
  options_.directories = {"/nonexistent/triggerfish/plugins"};
  host_ = std::make_unique<PluginHost>(fake_.api(), options_);
  EXPECT_EQ(host_->LoadAll().code(), absl::StatusCode::kNotFound);
}

TEST_F(PluginHostTest, IncompleteHostApiIsRefused) {
  tf_host_api incomplete = *fake_.api();
  incomplete.state_increment = nullptr;
  PluginHost host(&incomplete, {});
  EXPECT_THAT(std::string(host.LoadFile(Fixture("raw_good")).message()),
              HasSubstr("the host API table is incomplete"));
}

}  // namespace
}  // namespace triggerfish::server::plugins
