// The bundled assign plugin, loaded from its built module into FakeHost with
// a configured agent directory.
#include <dlfcn.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <triggerfish/testing/fake_host.h>

#include "server/plugins/json_schema.h"

namespace triggerfish::plugins::assign {
namespace {

using Json = nlohmann::json;
using sdk::testing::FakeHost;
using ::testing::HasSubstr;

const Json kTicket = Json::parse(R"({"id": "T1", "status": "new", "tags": ["printer"]})");

// An Agent object of the directory.
Json Agent(const std::string& id, bool available = true, int max_open_tickets = 0,
           std::vector<std::string> skills = {}) {
  return {{"id", id},
          {"name", "Agent " + id},
          {"email", id + "@example.com"},
          {"available", available},
          {"max_open_tickets", max_open_tickets},
          {"skills", skills},
          {"groups", {"tier1"}}};
}

class AssignPluginTest : public ::testing::Test {
 protected:
  FakeHost::Outcome Run(const char* type, const Json& params, const Json& ticket = kTicket) {
    return plugin_->Execute(type, params, ticket);
  }
  // Runs `type` and returns the assignee it set ("" if none), expecting OK.
  std::string Next(const char* type, const Json& params, const Json& ticket = kTicket) {
    FakeHost::Outcome out = Run(type, params, ticket);
    EXPECT_EQ(out.code, TF_OK) << out.raw;
    Json id = out.patch().is_object() ? out.patch()["set"].value("assignee_id", Json()) : Json();
    return id.is_string() ? id.get<std::string>() : std::string();
  }
  std::vector<std::string> NextN(int n, const char* type, const Json& params) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) ids.push_back(Next(type, params));
    return ids;
  }

  FakeHost host_;
  std::unique_ptr<FakeHost::Plugin> plugin_ = host_.LoadModule(TF_ASSIGN_PLUGIN);
  const Json tier1_ = {{"group", "tier1"}};
};

TEST_F(AssignPluginTest, DeclaresThreeInlineActions) {
  EXPECT_STREQ(plugin_->descriptor().name, "assign");
  ASSERT_EQ(plugin_->descriptor().action_count, 3u);
  for (const char* type : {"assign.round_robin", "assign.least_loaded", "assign.skills"}) {
    const tf_action_descriptor* action = plugin_->FindAction(type);
    ASSERT_NE(action, nullptr) << type;
    EXPECT_EQ(action->mode, TF_MODE_INLINE) << type;
  }
}

// --- round_robin -------------------------------------------------------------

TEST_F(AssignPluginTest, RoundRobinRotatesInIdOrderAndWraps) {
  host_.SetGroupAgents("tier1", {Agent("a3"), Agent("a1"), Agent("a2")});
  FakeHost::Outcome out = Run("assign.round_robin", tier1_);
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  EXPECT_EQ(out.patch(), Json::parse(R"({"set": {"assignee_id": "a1", "group_id": "tier1"}})"));
  EXPECT_EQ(out.result["output"]["assigned"], true);
  EXPECT_EQ(out.result["output"]["strategy"], "round_robin");
  EXPECT_EQ(out.message(), "assigned to a1 in group tier1");
  EXPECT_EQ(host_.GetState("assign", "rr/tier1"), R"("a1")");

  EXPECT_THAT(NextN(4, "assign.round_robin", tier1_),
              ::testing::ElementsAre("a2", "a3", "a1", "a2"));
  EXPECT_EQ(host_.GetState("assign", "rr/tier1"), R"("a2")");
}

TEST_F(AssignPluginTest, RoundRobinGivesEveryAgentExactlyItsShare) {
  host_.SetGroupAgents("tier1", {Agent("a1"), Agent("a2"), Agent("a3"), Agent("a4"), Agent("a5")});
  std::map<std::string, int> counts;
  for (const std::string& id : NextN(1000, "assign.round_robin", tier1_)) ++counts[id];
  EXPECT_EQ(counts, (std::map<std::string, int>{
                        {"a1", 200}, {"a2", 200}, {"a3", 200}, {"a4", 200}, {"a5", 200}}));
}

TEST_F(AssignPluginTest, RoundRobinCursorsArePerGroup) {
  host_.SetGroupAgents("tier1", {Agent("a1"), Agent("a2")});
  host_.SetGroupAgents("tier2", {Agent("a1"), Agent("a2")});
  EXPECT_EQ(Next("assign.round_robin", tier1_), "a1");
  EXPECT_EQ(Next("assign.round_robin", {{"group", "tier2"}}), "a1");
  EXPECT_EQ(Next("assign.round_robin", tier1_), "a2");
}

TEST_F(AssignPluginTest, RoundRobinSkipsAnAgentTheMomentItBecomesUnavailable) {
  host_.SetGroupAgents("tier1", {Agent("a1"), Agent("a2"), Agent("a3")});
  EXPECT_EQ(Next("assign.round_robin", tier1_), "a1");
  host_.SetGroupAgents("tier1", {Agent("a1"), Agent("a2", /*available=*/false), Agent("a3")});
  FakeHost::Outcome out = Run("assign.round_robin", tier1_);
  EXPECT_EQ(out.patch()["set"]["assignee_id"], "a3");
  EXPECT_EQ(out.result["output"]["considered"][1],
            Json::parse(R"({"group": "tier1", "id": "a2", "eligible": false,
                            "reason": "unavailable"})"));
  EXPECT_THAT(NextN(3, "assign.round_robin", tier1_), ::testing::ElementsAre("a1", "a3", "a1"));
}

TEST_F(AssignPluginTest, RoundRobinSkipsAgentsAtCapacity) {
  host_.SetGroupAgents("tier1", {Agent("a1"), Agent("a2", true, /*max_open_tickets=*/2),
                                 Agent("a3", true, /*max_open_tickets=*/0)});
  host_.SetOpenTicketCount("a2", 2);
  host_.SetOpenTicketCount("a3", 500);  // no limit
  FakeHost::Outcome out = Run("assign.round_robin", tier1_);
  EXPECT_EQ(out.patch()["set"]["assignee_id"], "a1");
  EXPECT_EQ(out.result["output"]["considered"][1]["reason"], "at capacity (2/2 open tickets)");
  EXPECT_EQ(Next("assign.round_robin", tier1_), "a3");
  host_.SetOpenTicketCount("a2", 1);
  EXPECT_THAT(NextN(3, "assign.round_robin", tier1_), ::testing::ElementsAre("a1", "a2", "a3"));
}

TEST_F(AssignPluginTest, RoundRobinTakesJoiningAndLeavingAgentsInTurn) {
  host_.SetGroupAgents("tier1", {Agent("a1"), Agent("a3")});
  EXPECT_EQ(Next("assign.round_robin", tier1_), "a1");
  // a2 joins between a1 and a3: it gets the next turn, nobody is skipped.
  host_.SetGroupAgents("tier1", {Agent("a1"), Agent("a2"), Agent("a3")});
  EXPECT_THAT(NextN(3, "assign.round_robin", tier1_), ::testing::ElementsAre("a2", "a3", "a1"));
  EXPECT_EQ(Next("assign.round_robin", tier1_), "a2");
  // a2, who had the last turn, leaves: the rotation carries on after it.
  host_.SetGroupAgents("tier1", {Agent("a1"), Agent("a3"), Agent("a4")});
  EXPECT_THAT(NextN(3, "assign.round_robin", tier1_), ::testing::ElementsAre("a3", "a4", "a1"));
}

TEST_F(AssignPluginTest, ConcurrentRoundRobinNeverGivesATurnTwice) {
  host_.SetGroupAgents("tier1", {Agent("a1"), Agent("a2"), Agent("a3"), Agent("a4"), Agent("a5")});
  std::mutex mu;
  std::map<std::string, int> counts;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 125; ++i) {
        FakeHost::Outcome out = plugin_->Execute("assign.round_robin", tier1_, kTicket);
        std::lock_guard lock(mu);
        if (out.code == TF_OK) {
          ++counts[out.patch()["set"]["assignee_id"].get<std::string>()];
        } else {
          failures.push_back(out.raw);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(failures, ::testing::IsEmpty());
  EXPECT_EQ(counts, (std::map<std::string, int>{
                        {"a1", 200}, {"a2", 200}, {"a3", 200}, {"a4", 200}, {"a5", 200}}));
}

TEST_F(AssignPluginTest, CursorThatKeepsChangingIsRetryable) {
  host_.SetGroupAgents("tier1", {Agent("a1"), Agent("a2")});
  // Stored with different bytes than the plugin writes, every compare-and-set
  // conflicts, as if another event always got there first.
  host_.PutState("assign", "rr/tier1", R"( "a1")");
  FakeHost::Outcome out = Run("assign.round_robin", tier1_);
  EXPECT_EQ(out.code, TF_RETRYABLE);
  EXPECT_THAT(out.message(), HasSubstr("rotation cursor rr/tier1 changed 16 times in a row"));
}

// --- least_loaded ------------------------------------------------------------

TEST_F(AssignPluginTest, LeastLoadedPicksTheAgentWithFewestOpenTickets) {
  host_.SetGroupAgents("tier1", {Agent("a1"), Agent("a2"), Agent("a3")});
  host_.SetOpenTicketCount("a1", 4);
  host_.SetOpenTicketCount("a2", 1);
  host_.SetOpenTicketCount("a3", 2);
  FakeHost::Outcome out = Run("assign.least_loaded", tier1_);
  EXPECT_EQ(out.patch(), Json::parse(R"({"set": {"assignee_id": "a2", "group_id": "tier1"}})"));
  EXPECT_EQ(out.result["output"]["considered"][0]["open_tickets"], 4);
  host_.SetOpenTicketCount("a2", 3);
  EXPECT_EQ(Next("assign.least_loaded", tier1_), "a3");
}

TEST_F(AssignPluginTest, LeastLoadedRotatesTies) {
  host_.SetGroupAgents("tier1", {Agent("a1"), Agent("a2"), Agent("a3"), Agent("a4")});
  host_.SetOpenTicketCount("a1", 3);
  host_.SetOpenTicketCount("a2", 1);
  host_.SetOpenTicketCount("a3", 5);
  host_.SetOpenTicketCount("a4", 1);
  EXPECT_THAT(NextN(4, "assign.least_loaded", tier1_),
              ::testing::ElementsAre("a2", "a4", "a2", "a4"));
  EXPECT_EQ(host_.GetState("assign", "ll/tier1"), R"("a4")");
}

TEST_F(AssignPluginTest, LeastLoadedRespectsCapacityAndAvailability) {
  host_.SetGroupAgents("tier1", {Agent("a1", true, /*max_open_tickets=*/3),
                                 Agent("a2", /*available=*/false), Agent("a3")});
  host_.SetOpenTicketCount("a1", 3);
  host_.SetOpenTicketCount("a2", 0);
  host_.SetOpenTicketCount("a3", 9);
  EXPECT_EQ(Next("assign.least_loaded", tier1_), "a3");
}

TEST_F(AssignPluginTest, ConcurrentLeastLoadedTiesRotateFairly) {
  host_.SetGroupAgents("tier1", {Agent("a1"), Agent("a2"), Agent("a3"), Agent("a4"), Agent("a5")});
  std::mutex mu;
  std::map<std::string, int> counts;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 125; ++i) {
        FakeHost::Outcome out = plugin_->Execute("assign.least_loaded", tier1_, kTicket);
        std::lock_guard lock(mu);
        ++counts[out.code == TF_OK ? out.patch()["set"]["assignee_id"].get<std::string>()
                                   : "failed"];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(counts, (std::map<std::string, int>{
                        {"a1", 200}, {"a2", 200}, {"a3", 200}, {"a4", 200}, {"a5", 200}}));
}

// --- skills ------------------------------------------------------------------

class SkillsTest : public AssignPluginTest {
 protected:
  void SetUp() override {
    host_.SetGroupAgents(
        "tier1", {Agent("a1", true, 0, {"billing"}), Agent("a2", true, 0, {"billing", "de"}),
                  Agent("a3", true, 0, {"de", "fr", "billing"}),
                  Agent("a4", false, 0, {"billing", "de", "fr"})});
    host_.SetOpenTicketCount("a1", 0);
    host_.SetOpenTicketCount("a2", 5);
    host_.SetOpenTicketCount("a3", 2);
  }
  Json Params(Json skills_from) { return {{"group", "tier1"}, {"skills_from", skills_from}}; }
};

TEST_F(SkillsTest, FromTagPrefix) {
  Json ticket = kTicket;
  ticket["tags"] = {"vip", "skill:de", "skill:billing", "skill:"};
  FakeHost::Outcome out = Run("assign.skills", Params({{"tag_prefix", "skill:"}}), ticket);
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  // a2 and a3 cover {billing, de}; a3 has fewer open tickets.
  EXPECT_EQ(out.patch()["set"]["assignee_id"], "a3");
  EXPECT_EQ(out.result["output"]["required_skills"], Json::parse(R"(["billing", "de"])"));
  EXPECT_EQ(out.result["output"]["considered"][0]["reason"], "missing skills [de]");
}

TEST_F(SkillsTest, FromCustomFieldStringOrList) {
  Json ticket = kTicket;
  ticket["custom_fields"] = {{"languages", "fr"}};
  EXPECT_EQ(Next("assign.skills", Params({{"custom_field", "languages"}}), ticket), "a3");
  ticket["custom_fields"] = {{"languages", {"billing"}}};
  EXPECT_EQ(Next("assign.skills", Params({{"custom_field", "languages"}}), ticket), "a1");
  // Nothing required: every eligible agent qualifies, least loaded wins.
  ticket["custom_fields"] = Json::object();
  EXPECT_EQ(Next("assign.skills", Params({{"custom_field", "languages"}}), ticket), "a1");
}

TEST_F(SkillsTest, FromParams) {
  const Json params = Params({{"skills", {"de"}}});
  EXPECT_EQ(Next("assign.skills", params), "a3");
  host_.SetOpenTicketCount("a2", 2);  // a2 and a3 tie: they take turns
  EXPECT_THAT(NextN(3, "assign.skills", params), ::testing::ElementsAre("a2", "a3", "a2"));
  EXPECT_EQ(host_.GetState("assign", "ll/tier1"), R"("a2")");
}

TEST_F(SkillsTest, NobodyCoveringTheSkillsLeavesTheTicketUnassigned) {
  FakeHost::Outcome out = Run("assign.skills", Params({{"skills", {"fr", "ja"}}}));
  EXPECT_EQ(out.code, TF_OK);
  EXPECT_TRUE(out.patch().is_null()) << out.raw;
  EXPECT_EQ(out.result["output"]["assigned"], false);
  EXPECT_EQ(out.result["output"]["reason"],
            "no available agent under capacity with skills [fr, ja] in group tier1");
  EXPECT_EQ(out.result["output"]["considered"][2]["reason"], "missing skills [ja]");
  EXPECT_EQ(out.result["output"]["considered"][3]["reason"], "unavailable");
}

TEST_F(SkillsTest, CustomFieldOfTheWrongTypeIsPermanent) {
  Json ticket = kTicket;
  ticket["custom_fields"] = {{"languages", 42}};
  FakeHost::Outcome out = Run("assign.skills", Params({{"custom_field", "languages"}}), ticket);
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_EQ(
      out.message(),
      "assign.skills: custom field 'languages' must be a string or a list of strings, not 42");
}

// --- nobody eligible, fallbacks, reassignment -----------------------------------

TEST_F(AssignPluginTest, NoEligibleAgentLeavesTheTicketUnassignedAndSaysWhy) {
  host_.SetGroupAgents("tier1", {Agent("a1", false), Agent("a2", true, 1)});
  host_.SetOpenTicketCount("a2", 1);
  for (const char* type : {"assign.round_robin", "assign.least_loaded"}) {
    FakeHost::Outcome out = Run(type, tier1_);
    EXPECT_EQ(out.code, TF_OK) << type;
    EXPECT_TRUE(out.patch().is_null()) << out.raw;
    EXPECT_EQ(out.result["output"]["assigned"], false);
    EXPECT_EQ(out.result["output"]["reason"], "no available agent under capacity in group tier1");
    EXPECT_EQ(out.result["output"]["considered"], Json::parse(R"json([
                {"group": "tier1", "id": "a1", "eligible": false, "reason": "unavailable"},
                {"group": "tier1", "id": "a2", "eligible": false, "open_tickets": 1,
                 "reason": "at capacity (1/1 open tickets)"}])json"));
    EXPECT_EQ(out.message(), "not assigned: no available agent under capacity in group tier1");
  }
  EXPECT_EQ(host_.GetState("assign", "rr/tier1"), std::nullopt);
}

TEST_F(AssignPluginTest, UnknownGroupHasNoAgents) {
  FakeHost::Outcome out = Run("assign.round_robin", {{"group", "ghosts"}});
  EXPECT_EQ(out.code, TF_OK);
  EXPECT_EQ(out.result["output"]["reason"], "group ghosts has no agents");
}

TEST_F(AssignPluginTest, LargeGroupsAreListedOnlyInPart) {
  Json agents = Json::array();
  for (int i = 100; i < 160; ++i) agents.push_back(Agent("a" + std::to_string(i), false));
  host_.SetGroupAgents("tier1", agents);
  FakeHost::Outcome out = Run("assign.round_robin", tier1_);
  EXPECT_EQ(out.result["output"]["considered"].size(), 50u);
  EXPECT_EQ(out.result["output"]["considered_truncated"], true);
}

TEST_F(AssignPluginTest, FallbackGroupIsTriedWithTheSameStrategy) {
  host_.SetGroupAgents("tier1", {Agent("a1", false)});
  host_.SetGroupAgents("tier2", {Agent("b1"), Agent("b2")});
  Json params = {{"group", "tier1"}, {"fallback_group", "tier2"}, {"fallback_tag", "nobody"}};
  FakeHost::Outcome out = Run("assign.round_robin", params);
  EXPECT_EQ(out.patch(), Json::parse(R"({"set": {"assignee_id": "b1", "group_id": "tier2"}})"));
  EXPECT_EQ(out.result["output"]["fallback_group_used"], true);
  EXPECT_EQ(out.result["output"]["considered"].size(), 3u);
  EXPECT_EQ(Next("assign.round_robin", params), "b2");
  EXPECT_EQ(host_.GetState("assign", "rr/tier2"), R"("b2")");

  host_.SetOpenTicketCount("b1", 3);
  EXPECT_EQ(Next("assign.least_loaded", params), "b2");
}

TEST_F(AssignPluginTest, FallbackTagIsAddedWhenNobodyIsEligible) {
  host_.SetGroupAgents("tier1", {Agent("a1", false)});
  Json params = {{"group", "tier1"}, {"fallback_group", "tier2"}, {"fallback_tag", "unassigned"}};
  FakeHost::Outcome out = Run("assign.round_robin", params);
  EXPECT_EQ(out.code, TF_OK);
  EXPECT_EQ(out.patch(), Json::parse(R"({"add_tags": ["unassigned"]})"));
  EXPECT_EQ(out.result["output"]["reason"],
            "no available agent under capacity in group tier1; group tier2 has no agents");
  EXPECT_EQ(out.result["output"]["fallback_tag"], "unassigned");
}

TEST_F(AssignPluginTest, AssignedTicketIsReassignedAndTheOutputSaysSo) {
  host_.SetGroupAgents("tier1", {Agent("a1"), Agent("a2")});
  Json ticket = kTicket;
  ticket["assignee_id"] = "a9";
  FakeHost::Outcome out = Run("assign.round_robin", tier1_, ticket);
  EXPECT_EQ(out.patch()["set"]["assignee_id"], "a1");
  EXPECT_EQ(out.result["output"]["reassigned_from"], "a9");
  EXPECT_EQ(out.message(), "assigned to a1 in group tier1 (reassigned from a9)");

  host_.SetGroupAgents("tier1", Json::array());
  out = Run("assign.round_robin", tier1_, ticket);
  EXPECT_TRUE(out.patch().is_null());
  EXPECT_EQ(out.result["output"]["assignee_unchanged"], "a9");
}

// --- host failures -------------------------------------------------------------

TEST_F(AssignPluginTest, UnavailableStateIsRetryableUnsupportedIsPermanent) {
  host_.SetGroupAgents("tier1", {Agent("a1"), Agent("a2")});
  host_.SetStorageFailure(TF_HOST_UNAVAILABLE);
  FakeHost::Outcome out = Run("assign.round_robin", tier1_);
  EXPECT_EQ(out.code, TF_RETRYABLE);
  EXPECT_THAT(out.message(), HasSubstr("assign.round_robin in group tier1: the host is "
                                       "temporarily unavailable: host call state_get"));
  host_.SetStorageFailure(TF_HOST_UNSUPPORTED);
  out = Run("assign.least_loaded", tier1_);
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_THAT(out.message(), HasSubstr("does not support this call here"));
  host_.SetStorageFailure(TF_HOST_OK);
  EXPECT_EQ(Next("assign.round_robin", tier1_), "a1");
}

TEST_F(AssignPluginTest, DirectoryUnsupportedIsPermanent) {
  // FakeHost answers TF_HOST_UNSUPPORTED to a NULL context, as a host without
  // a directory would; call the module's entry points by hand to pass one.
  void* module = dlopen(TF_ASSIGN_PLUGIN, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(module, nullptr);
  auto entry = reinterpret_cast<tf_plugin_entry_fn>(
      *static_cast<const void* const*>(dlsym(module, TF_PLUGIN_ENTRY_SYMBOL)));
  const tf_plugin_descriptor* descriptor = entry();
  std::string error;
  tf_sink error_sink = FakeHost::StringSink(&error);
  tf_plugin_instance* instance = nullptr;
  ASSERT_EQ(descriptor->init(host_.api(), "{}", 2, &instance, &error_sink), TF_OK) << error;

  std::string params = R"({"group": "tier1"})";
  std::string ticket = kTicket.dump();
  tf_execute_request request{};
  request.struct_size = sizeof(request);
  request.attempt = 1;
  request.ctx = nullptr;
  request.params_json = {params.data(), params.size()};
  request.ticket_json = {ticket.data(), ticket.size()};
  std::string result;
  tf_sink result_sink = FakeHost::StringSink(&result);
  EXPECT_EQ(descriptor->actions[0]->execute(instance, &request, &result_sink), TF_PERMANENT);
  EXPECT_THAT(Json::parse(result)["message"].get<std::string>(),
              HasSubstr("the host does not support this call here: host call "
                        "directory_group_agents(\"tier1\") failed with status 5"));
  descriptor->destroy(instance);
}

TEST_F(AssignPluginTest, MalformedDirectoryIsPermanent) {
  host_.SetGroupAgents("tier1", {Agent("a1"), {{"name", "no id"}}});
  FakeHost::Outcome out = Run("assign.round_robin", tier1_);
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_THAT(out.message(), HasSubstr("agent without an id in group tier1"));
}

// --- params schemas --------------------------------------------------------------

// True if `params` matches the params schema of `type`, as the server checks
// when a rule is saved.
bool SchemaAccepts(const FakeHost::Plugin& plugin, const char* type, const Json& params) {
  auto schema = server::plugins::JsonSchema::Compile(
      std::string_view(plugin.FindAction(type)->params_schema));
  EXPECT_TRUE(schema.ok()) << schema.status();
  return schema.ok() && schema->Validate(params).empty();
}

TEST_F(AssignPluginTest, ParamsSchemasAcceptGoodParams) {
  for (const char* type : {"assign.round_robin", "assign.least_loaded"}) {
    EXPECT_TRUE(SchemaAccepts(*plugin_, type, {{"group", "tier1"}})) << type;
    EXPECT_TRUE(SchemaAccepts(
        *plugin_, type, {{"group", "t1"}, {"fallback_group", "t2"}, {"fallback_tag", "none"}}));
  }
  for (const char* from : {R"({"tag_prefix": "skill:"})", R"({"custom_field": "languages"})",
                           R"({"skills": ["de"]})"}) {
    EXPECT_TRUE(SchemaAccepts(*plugin_, "assign.skills",
                              {{"group", "tier1"}, {"skills_from", Json::parse(from)}}))
        << from;
  }
}

TEST_F(AssignPluginTest, ParamsSchemasRejectBadParams) {
  for (const char* type : {"assign.round_robin", "assign.least_loaded", "assign.skills"}) {
    for (const char* bad : {
             R"({})",
             R"({"group": ""})",
             R"({"group": 7})",
             R"({"group": "tier1", "extra": 1})",
             R"({"group": "tier1", "fallback_tag": "two words"})",
             R"({"group": "tier1", "fallback_group": ""})",
         }) {
      EXPECT_FALSE(SchemaAccepts(*plugin_, type, Json::parse(bad))) << type << " " << bad;
    }
  }
  for (const char* bad : {
           R"({"group": "tier1"})",
           R"({"group": "tier1", "skills_from": {}})",
           R"({"group": "tier1", "skills_from": {"tag_prefix": ""}})",
           R"({"group": "tier1", "skills_from": {"skills": []}})",
           R"({"group": "tier1", "skills_from": {"skills": [1]}})",
           R"({"group": "tier1", "skills_from": {"tag_prefix": "s:", "skills": ["de"]}})",
           R"({"group": "tier1", "skills_from": {"field": "languages"}})",
       }) {
    EXPECT_FALSE(SchemaAccepts(*plugin_, "assign.skills", Json::parse(bad))) << bad;
  }
}

}  // namespace
}  // namespace triggerfish::plugins::assign
