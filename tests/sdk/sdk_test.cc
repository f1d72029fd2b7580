// The C++ SDK layer and FakeHost, with a plugin compiled into this test:
// its descriptor comes from TriggerfishPluginDescriptor(), which the
// TRIGGERFISH_PLUGIN macro defines next to the exported entry point.
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <triggerfish/sdk.h>
#include <triggerfish/testing/fake_host.h>

namespace tfs = triggerfish::sdk;
using Json = nlohmann::json;
using tfs::testing::FakeHost;

namespace sdktest {

struct Config {
  static constexpr std::string_view kSchema = R"({
    "type": "object", "additionalProperties": false,
    "properties": {"greeting": {"type": "string"}, "fail": {"type": "boolean"}}
  })";
  Config(const Json& config, const tfs::Host& host) {
    if (config.value("fail", false)) throw std::runtime_error("config says fail");
    greeting = config.value("greeting", std::string("hello"));
    host.Log(tfs::LogLevel::kInfo, "configured with " + greeting);
  }
  std::string greeting;
};

// Reports what it received.
class Greet {
 public:
  static constexpr std::string_view kType = "sdktest.greet";
  static constexpr tfs::Mode kMode = tfs::Mode::kDeferred;
  static constexpr std::string_view kParamsSchema = R"({"type": "object"})";
  explicit Greet(const Config& config) : config_(config) {}
  tfs::Result Execute(tfs::Context& ctx, const tfs::Json&, const tfs::Json& ticket) const {
    return tfs::Result::Ok().WithOutput({{"greeting", config_.greeting},
                                         {"ticket", ticket.value("id", "")},
                                         {"event_type", ctx.event().value("type", "")},
                                         {"operation_id", ctx.operation_id()},
                                         {"attempt", ctx.attempt()},
                                         {"now", ctx.NowUnixMicros()}});
  }

 private:
  const Config& config_;
};

// Counts calls in state, and keeps the last caller with compare-and-set.
class Count {
 public:
  static constexpr std::string_view kType = "sdktest.count";
  static constexpr tfs::Mode kMode = tfs::Mode::kInline;
  static constexpr std::string_view kParamsSchema = R"({"type": "object"})";
  tfs::Result Execute(tfs::Context& ctx, const tfs::Json& params, const tfs::Json&) const {
    int64_t n = ctx.IncrementState("count");
    std::optional<Json> last = ctx.GetState("last");
    bool swapped = ctx.CompareAndSetState("last", last, params.value("who", "nobody"));
    return tfs::Result::Ok().WithOutput({{"count", n}, {"swapped", swapped}});
  }
};

// Schedules (or cancels) a reminder timer for the ticket.
class Remind {
 public:
  static constexpr std::string_view kType = "sdktest.remind";
  static constexpr tfs::Mode kMode = tfs::Mode::kInline;
  static constexpr std::string_view kParamsSchema = R"({"type": "object"})";
  tfs::Result Execute(tfs::Context& ctx, const tfs::Json& params, const tfs::Json& ticket) const {
    std::string key = "remind:" + ticket.value("id", "");
    if (params.value("cancel", false)) {
      ctx.CancelTimer(key);
    } else {
      int64_t due = ctx.NowUnixMicros() + params.at("minutes").get<int64_t>() * 60'000'000;
      ctx.ScheduleTimer(key, due, "reminder.due", {{"note", params.value("note", "")}});
    }
    return tfs::Result::Ok();
  }
};

// Assigns the least loaded agent of a group.
class PickAgent {
 public:
  static constexpr std::string_view kType = "sdktest.pick_agent";
  static constexpr tfs::Mode kMode = tfs::Mode::kInline;
  static constexpr std::string_view kParamsSchema = R"({"type": "object"})";
  tfs::Result Execute(tfs::Context& ctx, const tfs::Json& params, const tfs::Json&) const {
    std::string best;
    int64_t best_load = 0;
    for (const Json& agent : ctx.GroupAgents(params.at("group").get<std::string>())) {
      std::string id = agent.at("id").get<std::string>();
      int64_t load = ctx.OpenTicketCount(id);
      if (best.empty() || load < best_load) {
        best = id;
        best_load = load;
      }
    }
    if (best.empty()) return tfs::Result::Permanent("group has no agents");
    return tfs::Result::Ok(tfs::TicketPatch().Set("assignee_id", best));
  }
};

// Fails in the way params.kind asks for.
class Fail {
 public:
  static constexpr std::string_view kType = "sdktest.fail";
  static constexpr tfs::Mode kMode = tfs::Mode::kInline;
  static constexpr std::string_view kParamsSchema = R"({"type": "object"})";
  tfs::Result Execute(tfs::Context&, const tfs::Json& params, const tfs::Json&) const {
    std::string kind = params.at("kind").get<std::string>();
    if (kind == "retryable") throw tfs::RetryableError("smtp 451, try later");
    if (kind == "permanent") return tfs::Result::Permanent("recipient rejected");
    if (kind == "std") throw std::out_of_range("index 3 out of range");
    if (kind == "json") return tfs::Result::Ok().WithOutput(params.at("missing"));
    throw 7;
  }
};

}  // namespace sdktest

TRIGGERFISH_PLUGIN_WITH_CONFIG("sdktest", "2.1.0", sdktest::Config, sdktest::Greet, sdktest::Count,
                               sdktest::Remind, sdktest::PickAgent, sdktest::Fail);

namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000;

class SdkTest : public ::testing::Test {
 protected:
  SdkTest() { host_.SetNow(kT0); }

  FakeHost::Outcome Run(const char* type, const Json& params,
                        const tfs::testing::ExecuteOptions& options = {}) {
    return plugin_->Execute(type, params, ticket_, event_, options);
  }

  FakeHost host_;
  std::unique_ptr<FakeHost::Plugin> plugin_ =
      host_.Load(TriggerfishPluginDescriptor(), {{"greeting", "ahoy"}});
  Json ticket_ = {{"id", "T1"}, {"status", "open"}};
  Json event_ = {{"id", "E1"}, {"type", "ticket.created"}};
};

TEST(TicketPatchTest, BuildsPatchJson) {
  tfs::TicketPatch patch;
  patch.Set("status", "solved")
      .AddTag("vip")
      .AddTag("vip")
      .RemoveTag("spam")
      .AddTag("spam")
      .SetCustomField("plan", "pro")
      .RemoveCustomField("legacy");
  EXPECT_EQ(patch.json(), Json::parse(R"({
    "set": {"status": "solved"},
    "add_tags": ["vip", "spam"],
    "custom_fields": {"plan": "pro", "legacy": null}
  })"));
  EXPECT_THROW(patch.Set("requester", "x"), std::invalid_argument);
  EXPECT_TRUE(tfs::TicketPatch().empty());
}

TEST_F(SdkTest, DescriptorDescribesPluginAndActions) {
  const tf_plugin_descriptor& d = plugin_->descriptor();
  EXPECT_EQ(d.magic, TF_PLUGIN_MAGIC);
  EXPECT_EQ(d.struct_size, sizeof(tf_plugin_descriptor));
  EXPECT_EQ(d.abi_major, uint32_t{TF_ABI_MAJOR});
  EXPECT_STREQ(d.name, "sdktest");
  EXPECT_STREQ(d.version, "2.1.0");
  EXPECT_THAT(d.build_info, ::testing::StartsWith("triggerfish-sdk abi 1.0; compiler "));
  EXPECT_EQ(Json::parse(d.config_schema)["properties"]["greeting"]["type"], "string");
  ASSERT_EQ(d.action_count, 5u);
  EXPECT_STREQ(d.actions[0]->type, "sdktest.greet");
  EXPECT_EQ(d.actions[0]->mode, TF_MODE_DEFERRED);
  EXPECT_EQ(d.actions[1]->mode, TF_MODE_INLINE);
}

TEST_F(SdkTest, ConfigAndRequestReachTheAction) {
  EXPECT_TRUE(host_.HasLog("configured with ahoy"));
  auto out = Run("sdktest.greet", Json::object(), {"default", "op-42", 3, 0});
  ASSERT_EQ(out.code, TF_OK);
  EXPECT_EQ(out.result["output"], Json::parse(R"({"greeting": "ahoy", "ticket": "T1",
      "event_type": "ticket.created", "operation_id": "op-42", "attempt": 3,
      "now": 1700000000000000})"));
}

TEST_F(SdkTest, InitFailureCarriesTheMessage) {
  try {
    host_.Load(TriggerfishPluginDescriptor(), {{"fail", true}});
    FAIL() << "init should have failed";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "plugin init failed: config says fail");
  }
}

TEST_F(SdkTest, StateIsNamespacedPerTenant) {
  EXPECT_EQ(Run("sdktest.count", {{"who", "ann"}}, {"acme"}).result["output"]["count"], 1);
  auto out = Run("sdktest.count", {{"who", "bob"}}, {"acme"});
  EXPECT_EQ(out.result["output"], Json::parse(R"({"count": 2, "swapped": true})"));
  EXPECT_EQ(Run("sdktest.count", Json::object(), {"globex"}).result["output"]["count"], 1);
  EXPECT_EQ(host_.GetState("sdktest", "count", "acme"), "2");
  EXPECT_EQ(host_.GetState("sdktest", "last", "acme"), "\"bob\"");
  EXPECT_EQ(host_.GetState("other_plugin", "count", "acme"), std::nullopt);
}

TEST_F(SdkTest, ConcurrentExecutionsDoNotLoseUpdates) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this] {
      for (int i = 0; i < 100; ++i) Run("sdktest.count", Json::object());
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(host_.GetState("sdktest", "count"), "400");
}

TEST_F(SdkTest, HostUnavailableMakesTheActionRetryable) {
  host_.SetStorageFailure(TF_HOST_UNAVAILABLE);
  auto out = Run("sdktest.count", Json::object());
  EXPECT_EQ(out.code, TF_RETRYABLE);
  EXPECT_EQ(out.message(), "host call state_increment(\"count\") failed with status 4");
  host_.SetStorageFailure(TF_HOST_OK);
  EXPECT_EQ(Run("sdktest.count", Json::object()).code, TF_OK);
}

TEST_F(SdkTest, TimersFollowTheManualClock) {
  ASSERT_EQ(Run("sdktest.remind", {{"minutes", 30}, {"note", "chase"}}).code, TF_OK);
  ASSERT_EQ(host_.timers().size(), 1u);
  FakeHost::Timer timer = host_.timers()[0];
  EXPECT_EQ(timer.key, "remind:T1");
  EXPECT_EQ(timer.ticket_id, "T1");
  EXPECT_EQ(timer.event_type, "reminder.due");
  EXPECT_EQ(timer.due_unix_micros, kT0 + 30 * 60'000'000LL);
  EXPECT_EQ(timer.payload, Json({{"note", "chase"}}));

  host_.Advance(std::chrono::minutes(29));
  EXPECT_TRUE(host_.TakeDueTimers().empty());
  host_.Advance(std::chrono::minutes(1));
  EXPECT_EQ(host_.TakeDueTimers().size(), 1u);
  EXPECT_TRUE(host_.timers().empty());

  Run("sdktest.remind", {{"minutes", 5}});
  Run("sdktest.remind", {{"minutes", 10}});  // same key: replaces
  ASSERT_EQ(host_.timers().size(), 1u);
  EXPECT_EQ(host_.timers()[0].due_unix_micros, host_.NowUnixMicros() + 10 * 60'000'000LL);
  Run("sdktest.remind", {{"cancel", true}});
  EXPECT_TRUE(host_.timers().empty());
}

TEST_F(SdkTest, DirectoryQueriesSeeConfiguredAgents) {
  host_.SetGroupAgents("tier1", Json::parse(R"([{"id": "a1"}, {"id": "a2"}, {"id": "a3"}])"));
  host_.SetOpenTicketCount("a1", 5);
  host_.SetOpenTicketCount("a2", 2);
  host_.SetOpenTicketCount("a3", 4);
  auto out = Run("sdktest.pick_agent", {{"group", "tier1"}});
  EXPECT_EQ(out.patch(), Json::parse(R"({"set": {"assignee_id": "a2"}})"));
  out = Run("sdktest.pick_agent", {{"group", "nobody"}});
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_EQ(out.message(), "group has no agents");
}

struct Failure {
  const char* kind;
  int32_t code;
  const char* message;
};

class FailureTest : public SdkTest, public ::testing::WithParamInterface<Failure> {};

TEST_P(FailureTest, ExceptionsBecomeResultCodes) {
  auto out = Run("sdktest.fail", {{"kind", GetParam().kind}});
  EXPECT_EQ(out.code, GetParam().code);
  EXPECT_THAT(out.message(), ::testing::HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, FailureTest,
    ::testing::Values(Failure{"retryable", TF_RETRYABLE, "smtp 451, try later"},
                      Failure{"permanent", TF_PERMANENT, "recipient rejected"},
                      Failure{"std", TF_PERMANENT, "index 3 out of range"},
                      Failure{"json", TF_PERMANENT, "key 'missing' not found"},
                      Failure{"other", TF_PERMANENT, "action threw a non-standard exception"}),
    [](const auto& info) { return std::string(info.param.kind); });

TEST_F(SdkTest, MalformedInputIsPermanent) {
  auto out = plugin_->ExecuteText("sdktest.count", "{oops", "{}", "{}");
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_EQ(out.message(), "params is not valid JSON");
  out = plugin_->ExecuteText("sdktest.greet", "{}", "[", "{}");
  EXPECT_EQ(out.message(), "ticket is not valid JSON");
  out = plugin_->ExecuteText("sdktest.greet", "", "", "");
  EXPECT_EQ(out.code, TF_OK) << "empty documents mean {}";
}

}  // namespace
