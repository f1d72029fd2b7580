// RuleService over gRPC against the real triggerfishd.

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/grpc_status.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::FieldViolations;
using testing::FromJson;
using testing::ServerProcess;

class RuleServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    stub_ = v1::RuleService::NewStub(server_.Channel());
  }

  grpc::Status Create(const v1::CreateRuleRequest& request, v1::Rule* rule) {
    grpc::ClientContext context;
    return stub_->CreateRule(&context, request, rule);
  }

  v1::Rule MustCreate(const std::string& id, const std::string& rule_json) {
    v1::CreateRuleRequest request;
    request.set_rule_id(id);
    *request.mutable_rule() = FromJson<v1::Rule>(rule_json);
    v1::Rule rule;
    auto status = Create(request, &rule);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return rule;
  }

  grpc::Status Get(const std::string& id, v1::Rule* rule) {
    grpc::ClientContext context;
    v1::GetRuleRequest request;
    request.set_id(id);
    return stub_->GetRule(&context, request, rule);
  }

  grpc::Status List(const v1::ListRulesRequest& request, v1::ListRulesResponse* response) {
    grpc::ClientContext context;
    return stub_->ListRules(&context, request, response);
  }

  grpc::Status Update(const v1::UpdateRuleRequest& request, v1::Rule* rule) {
    grpc::ClientContext context;
    return stub_->UpdateRule(&context, request, rule);
  }

  grpc::Status Delete(const v1::DeleteRuleRequest& request) {
    grpc::ClientContext context;
    google::protobuf::Empty empty;
    return stub_->DeleteRule(&context, request, &empty);
  }

  int CountRules() {
    v1::ListRulesResponse response;
    EXPECT_TRUE(List({}, &response).ok());
    return response.total_size();
  }

  ServerProcess server_;
  std::unique_ptr<v1::RuleService::Stub> stub_;
};

constexpr char kVipRule[] = R"({
  "name": "VIP tickets",
  "position": 10,
  "trigger": {"event_types": ["ticket.created"]},
  "condition": {"all": [
    {"predicate": {"field": "ticket.tags", "operator": "includes_any", "value": ["vip"]}},
    {"predicate": {"field": "ticket.priority", "operator": "less_than", "value": "urgent"}}
  ]}
})";

TEST_F(RuleServiceTest, CreateThenGetReturnsTheStoredRule) {
  v1::Rule created = MustCreate("vip", kVipRule);
  EXPECT_EQ(created.id(), "vip");
  EXPECT_TRUE(created.has_enabled() && created.enabled()) << "rules are enabled by default";
  EXPECT_EQ(created.revision(), 1);
  EXPECT_FALSE(created.etag().empty());
  EXPECT_TRUE(created.has_create_time());

  v1::Rule got;
  ASSERT_TRUE(Get("vip", &got).ok());
  EXPECT_EQ(testing::ToJson(got), testing::ToJson(created));
}

TEST_F(RuleServiceTest, CreateWithoutIdGeneratesOne) {
  v1::Rule a = MustCreate("", kVipRule);
  v1::Rule b = MustCreate("", kVipRule);
  EXPECT_FALSE(a.id().empty());
  EXPECT_NE(a.id(), b.id());
}

TEST_F(RuleServiceTest, DuplicateIdIsAlreadyExists) {
  MustCreate("vip", kVipRule);
  v1::CreateRuleRequest request;
  request.set_rule_id("vip");
  *request.mutable_rule() = FromJson<v1::Rule>(kVipRule);
  v1::Rule rule;
  EXPECT_EQ(Create(request, &rule).error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(RuleServiceTest, InvalidRuleIsRejectedWithEveryViolationAndNothingSaved) {
  v1::CreateRuleRequest request;
  request.set_rule_id("Bad Id");
  v1::Rule rule;
  auto status = Create(request, &rule);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(FieldViolations(status).contains("rule_id"));

  request.set_rule_id("broken");
  *request.mutable_rule() = FromJson<v1::Rule>(R"({
    "trigger": {"event_types": ["ticket.created", "Ticket Created"]},
    "condition": {"all": [
      {"predicate": {"field": "ticket.status", "operator": "is", "value": "open"}},
      {"predicate": {"field": "ticket.priorty", "operator": "is", "value": "high"}},
      {"any": [{"predicate": {"field": "ticket.status", "operator": "contains", "value": "op"}}]},
      {"predicate": {"field": "ticket.hours_since_created", "operator": "greater_than", "value": "x"}},
      {"predicate": {"field": "comment.body", "operator": "matches", "value": "(unclosed"}}
    ]},
    "actions": [{"type": "nosuch.action"}]
  })");
  status = Create(request, &rule);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto violations = FieldViolations(status);
  EXPECT_TRUE(violations.contains("rule.name")) << status.error_message();
  EXPECT_TRUE(violations.contains("rule.trigger.event_types[1]"));
  ASSERT_TRUE(violations.contains("rule.condition.all[1].predicate.field"));
  EXPECT_NE(
      violations["rule.condition.all[1].predicate.field"].find("did you mean \"ticket.priority\""),
      std::string::npos);
  EXPECT_TRUE(violations.contains("rule.condition.all[2].any[0].predicate.operator"));
  EXPECT_TRUE(violations.contains("rule.condition.all[3].predicate.value"));
  EXPECT_TRUE(violations.contains("rule.condition.all[4].predicate.value"));
  EXPECT_TRUE(violations.contains("rule.actions[0].type"));
  EXPECT_EQ(violations.size(), 7u) << status.error_message();
  EXPECT_EQ(CountRules(), 0);
}

TEST_F(RuleServiceTest, ValidateOnlySavesNothing) {
  v1::CreateRuleRequest request;
  request.set_rule_id("vip");
  request.set_validate_only(true);
  *request.mutable_rule() = FromJson<v1::Rule>(kVipRule);
  v1::Rule rule;
  ASSERT_TRUE(Create(request, &rule).ok());
  EXPECT_EQ(rule.id(), "vip");
  EXPECT_EQ(CountRules(), 0);
}

TEST_F(RuleServiceTest, ListPagesInEvaluationOrderWithFilters) {
  for (int i = 0; i < 25; ++i) {
    const std::string type = i % 2 == 0 ? "ticket.created" : "ticket.updated";
    v1::Rule rule = MustCreate("r" + std::to_string(i),
                               R"({"name": "n", "position": )" + std::to_string(100 - i) +
                                   R"(, "enabled": )" + (i % 5 == 0 ? "false" : "true") +
                                   R"(, "trigger": {"event_types": [")" + type + R"("]}})");
  }
  std::vector<std::string> ids;
  v1::ListRulesRequest request;
  request.set_page_size(10);
  int pages = 0;
  do {
    v1::ListRulesResponse response;
    ASSERT_TRUE(List(request, &response).ok());
    EXPECT_EQ(response.total_size(), 25);
    EXPECT_LE(response.rules_size(), 10);
    for (const auto& r : response.rules()) ids.push_back(r.id());
    request.set_page_token(response.next_page_token());
    ++pages;
  } while (!request.page_token().empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(ids.size(), 25u);
  EXPECT_EQ(ids.front(), "r24");  // lowest position first
  EXPECT_EQ(ids.back(), "r0");

  v1::ListRulesRequest filtered;
  filtered.set_event_type("ticket.created");
  filtered.set_enabled(true);
  v1::ListRulesResponse response;
  ASSERT_TRUE(List(filtered, &response).ok());
  // even i (13 of them) minus those divisible by 5 and even (0, 10, 20)
  EXPECT_EQ(response.total_size(), 10);
  for (const auto& r : response.rules()) {
    EXPECT_EQ(r.trigger().event_types(0), "ticket.created");
    EXPECT_TRUE(r.enabled());
  }
}

TEST_F(RuleServiceTest, ListRejectsBadPagingInput) {
  for (int i = 0; i < 3; ++i) MustCreate("r" + std::to_string(i), kVipRule);
  v1::ListRulesRequest request;
  request.set_page_size(1);
  v1::ListRulesResponse first;
  ASSERT_TRUE(List(request, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());

  v1::ListRulesResponse response;
  v1::ListRulesRequest other_filter = request;
  other_filter.set_page_token(first.next_page_token());
  other_filter.set_event_type("ticket.updated");
  auto status = List(other_filter, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(FieldViolations(status).contains("page_token"));

  v1::ListRulesRequest forged = request;
  forged.set_page_token(first.next_page_token() + "x");
  EXPECT_EQ(List(forged, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  forged.set_page_token("bm90IGEgdG9rZW4");
  EXPECT_EQ(List(forged, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::ListRulesRequest negative;
  negative.set_page_size(-1);
  status = List(negative, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(FieldViolations(status).contains("page_size"));
}

TEST_F(RuleServiceTest, UpdateAppliesOnlyTheMaskedFieldsAndChecksTheEtag) {
  v1::Rule created = MustCreate("vip", kVipRule);
  v1::UpdateRuleRequest request;
  request.mutable_rule()->set_id("vip");
  request.mutable_rule()->set_name("VIP renamed");
  request.mutable_rule()->set_position(99);  // not in the mask: ignored
  request.mutable_rule()->set_etag(created.etag());
  request.mutable_update_mask()->add_paths("name");
  v1::Rule updated;
  ASSERT_TRUE(Update(request, &updated).ok());
  EXPECT_EQ(updated.name(), "VIP renamed");
  EXPECT_EQ(updated.position(), 10);
  EXPECT_EQ(updated.condition().all_size(), 2);
  EXPECT_EQ(updated.revision(), 2);
  EXPECT_NE(updated.etag(), created.etag());

  // The old etag is stale now.
  auto status = Update(request, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(testing::ErrorReason(status), "ETAG_MISMATCH");

  request.mutable_rule()->clear_etag();
  request.mutable_update_mask()->set_paths(0, "revision");
  status = Update(request, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(FieldViolations(status).contains("update_mask.paths[0]"));

  // An invalid new condition is rejected and the stored rule is unchanged.
  request.mutable_update_mask()->set_paths(0, "condition");
  *request.mutable_rule()->mutable_condition() = FromJson<v1::Condition>(
      R"({"predicate": {"field": "ticket.tags", "operator": "is", "value": "vip"}})");
  status = Update(request, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(FieldViolations(status).contains("rule.condition.predicate.operator"));
  v1::Rule got;
  ASSERT_TRUE(Get("vip", &got).ok());
  EXPECT_EQ(got.revision(), 2);

  request.mutable_rule()->set_id("missing");
  EXPECT_EQ(Update(request, &updated).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RuleServiceTest, DeleteHonoursTheEtag) {
  v1::Rule created = MustCreate("vip", kVipRule);
  v1::DeleteRuleRequest request;
  request.set_id("vip");
  request.set_etag("stale");
  EXPECT_EQ(Delete(request).error_code(), grpc::StatusCode::ABORTED);
  request.set_etag(created.etag());
  ASSERT_TRUE(Delete(request).ok());
  v1::Rule got;
  EXPECT_EQ(Get("vip", &got).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Delete(request).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RuleServiceTest, RequestIdMakesMutationsIdempotent) {
  v1::CreateRuleRequest request;
  request.set_request_id("req-1");
  *request.mutable_rule() = FromJson<v1::Rule>(kVipRule);
  v1::Rule first, second;
  ASSERT_TRUE(Create(request, &first).ok());
  ASSERT_TRUE(Create(request, &second).ok());
  EXPECT_EQ(first.id(), second.id());
  EXPECT_EQ(CountRules(), 1);

  request.mutable_rule()->set_name("something else");
  auto status = Create(request, &second);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(testing::ErrorReason(status), "REQUEST_ID_REUSED");

  // The record survives a restart.
  ASSERT_TRUE(server_.Restart()) << server_.log();
  stub_ = v1::RuleService::NewStub(server_.Channel());
  request.mutable_rule()->set_name("VIP tickets");
  ASSERT_TRUE(Create(request, &second).ok());
  EXPECT_EQ(second.id(), first.id());
  EXPECT_EQ(CountRules(), 1);
}

TEST_F(RuleServiceTest, RulesSurviveRestartAndKill) {
  MustCreate("vip", kVipRule);
  ASSERT_TRUE(server_.Restart()) << server_.log();
  stub_ = v1::RuleService::NewStub(server_.Channel());
  v1::Rule got;
  ASSERT_TRUE(Get("vip", &got).ok());
  EXPECT_EQ(got.name(), "VIP tickets");

  MustCreate("after-restart", kVipRule);
  server_.Kill();  // SIGKILL right after the acknowledged write
  ASSERT_TRUE(server_.Start()) << server_.log();
  stub_ = v1::RuleService::NewStub(server_.Channel());
  EXPECT_TRUE(Get("after-restart", &got).ok());
  EXPECT_EQ(CountRules(), 2);
}

}  // namespace
}  // namespace triggerfish
