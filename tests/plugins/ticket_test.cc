// The bundled ticket plugin, loaded from its built module into FakeHost.
#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <triggerfish/testing/fake_host.h>

namespace triggerfish::plugins::ticket {
namespace {

using Json = nlohmann::json;
using sdk::testing::FakeHost;

const Json kTicket = Json::parse(R"({
  "id": "T1", "subject": "Printer on fire", "status": "open", "priority": "normal",
  "tags": ["printer", "fire"], "group_id": "tier1", "custom_fields": {"plan": "pro"}
})");

class TicketPluginTest : public ::testing::Test {
 protected:
  FakeHost::Outcome Run(const char* type, const char* params) {
    return plugin_->Execute(type, Json::parse(params), kTicket);
  }

  FakeHost host_;
  std::unique_ptr<FakeHost::Plugin> plugin_ = host_.LoadModule(TF_TICKET_PLUGIN);
};

TEST_F(TicketPluginTest, DeclaresFourInlineActions) {
  const tf_plugin_descriptor& d = plugin_->descriptor();
  EXPECT_STREQ(d.name, "ticket");
  ASSERT_EQ(d.action_count, 4u);
  for (const char* type :
       {"ticket.set_fields", "ticket.add_tags", "ticket.remove_tags", "ticket.set_custom_field"}) {
    const tf_action_descriptor* action = plugin_->FindAction(type);
    ASSERT_NE(action, nullptr) << type;
    EXPECT_EQ(action->mode, TF_MODE_INLINE) << type;
  }
}

TEST_F(TicketPluginTest, SetFieldsPatchesOnlyChangedFields) {
  auto out =
      Run("ticket.set_fields",
          R"({"status": "solved", "priority": "normal", "assignee_id": "a7", "group_id": ""})");
  EXPECT_EQ(out.code, TF_OK);
  EXPECT_EQ(out.patch(), Json::parse(R"({"set": {"status": "solved", "assignee_id": "a7",
                                                  "group_id": ""}})"));
}

TEST_F(TicketPluginTest, SetFieldsWithNothingToChangeReturnsNoPatch) {
  auto out = Run("ticket.set_fields", R"({"status": "open", "subject": "Printer on fire"})");
  EXPECT_EQ(out.code, TF_OK);
  EXPECT_TRUE(out.patch().is_null());
  EXPECT_EQ(out.message(), "no change");
}

TEST_F(TicketPluginTest, SetFieldsRefusesUnknownFieldAtRunTime) {
  auto out = Run("ticket.set_fields", R"({"requester": "x"})");
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_EQ(out.message(), "not a settable ticket field: requester");
}

TEST_F(TicketPluginTest, AddTagsAddsOnlyMissingTags) {
  auto out = Run("ticket.add_tags", R"({"tags": ["fire", "urgent", "vip"]})");
  EXPECT_EQ(out.code, TF_OK);
  EXPECT_EQ(out.patch(), Json::parse(R"({"add_tags": ["urgent", "vip"]})"));
}

TEST_F(TicketPluginTest, RemoveTagsRemovesOnlyPresentTags) {
  auto out = Run("ticket.remove_tags", R"({"tags": ["fire", "vip"]})");
  EXPECT_EQ(out.code, TF_OK);
  EXPECT_EQ(out.patch(), Json::parse(R"({"remove_tags": ["fire"]})"));
  EXPECT_EQ(Run("ticket.remove_tags", R"({"tags": ["vip"]})").message(), "no change");
}

TEST_F(TicketPluginTest, SetCustomFieldSetsAndRemoves) {
  auto out = Run("ticket.set_custom_field", R"({"key": "seats", "value": 25})");
  EXPECT_EQ(out.patch(), Json::parse(R"({"custom_fields": {"seats": 25}})"));
  out = Run("ticket.set_custom_field", R"({"key": "plan", "value": null})");
  EXPECT_EQ(out.patch(), Json::parse(R"({"custom_fields": {"plan": null}})"));
  out = Run("ticket.set_custom_field", R"({"key": "plan", "value": "pro"})");
  EXPECT_EQ(out.message(), "no change");
  out = Run("ticket.set_custom_field", R"({"key": "missing", "value": null})");
  EXPECT_EQ(out.message(), "no change");
}

TEST_F(TicketPluginTest, MissingParamIsPermanentNotACrash) {
  auto out = Run("ticket.add_tags", R"({})");
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_THAT(out.message(), ::testing::HasSubstr("key 'tags' not found"));
}

}  // namespace
}  // namespace triggerfish::plugins::ticket
