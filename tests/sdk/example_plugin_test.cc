// The out-of-tree example (sdk/examples/escalate), built against the
// installed SDK by the sdk.example fixture, loaded by the server's loader.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <triggerfish/testing/fake_host.h>

#include "server/plugins/plugin_host.h"

namespace triggerfish::server::plugins {
namespace {

using Json = nlohmann::json;

class ExamplePluginTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(host_.LoadFile(TF_EXAMPLE_PLUGIN).ok()); }

  ExecuteOutcome Bump(const std::string& params, const std::string& ticket) {
    auto execution = fake_.NewExecution({"acme", "escalate", "T9"});
    ExecuteRequest request;
    request.ctx = execution->ctx();
    request.params_json = params;
    request.ticket_json = ticket;
    return host_.Execute("escalate.bump_priority", request);
  }

  sdk::testing::FakeHost fake_;
  PluginHost host_{fake_.api(), {}};
};

TEST_F(ExamplePluginTest, LoadsWithItsActionAndSchema) {
  ASSERT_EQ(host_.plugins().size(), 1u);
  EXPECT_EQ(host_.plugins()[0].name, "escalate");
  const ActionInfo* action = host_.FindAction("escalate.bump_priority");
  ASSERT_NE(action, nullptr);
  EXPECT_EQ(action->mode, ActionMode::kInline);
  EXPECT_THAT(*host_.ValidateParams("escalate.bump_priority", {{"steps", 9}}),
              ::testing::ElementsAre(::testing::Field(&SchemaViolation::path, "/steps")));
}

TEST_F(ExamplePluginTest, BumpsPriorityTagsAndCountsPerTicket) {
  ExecuteOutcome out = Bump(R"({"steps": 2, "max": "high", "tag": "escalated"})",
                            R"({"id": "T9", "priority": "low"})");
  ASSERT_EQ(out.code, ResultCode::kOk) << out.error;
  EXPECT_EQ(out.result["ticket_patch"],
            Json::parse(R"({"set": {"priority": "high"}, "add_tags": ["escalated"]})"));
  EXPECT_EQ(out.result["output"]["escalations"], 1);
  EXPECT_TRUE(fake_.HasLog("[escalate] escalated ticket to high"));

  out = Bump(R"({})", R"({"id": "T9", "priority": "high"})");
  EXPECT_EQ(out.result["ticket_patch"]["set"]["priority"], "urgent");
  EXPECT_EQ(out.result["output"]["escalations"], 2);
  EXPECT_EQ(fake_.GetState("escalate", "escalations:T9", "acme"), "2");
}

TEST_F(ExamplePluginTest, LeavesTicketAtMaximumAlone) {
  ExecuteOutcome out = Bump(R"({"max": "high"})", R"({"id": "T9", "priority": "urgent"})");
  EXPECT_EQ(out.code, ResultCode::kOk);
  EXPECT_FALSE(out.result.contains("ticket_patch"));
  EXPECT_EQ(out.result["message"], "priority already at or above the maximum");
}

}  // namespace
}  // namespace triggerfish::server::plugins
