// triggerfishd as a process: health, reflection, command line, config,
// seed rules.

#include <fstream>
#include <set>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::ServerProcess;

TEST(ServerTest, HealthIsServingAndReflectionListsTheServices) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  auto channel = server.Channel();

  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext health_context;
  grpc::health::v1::HealthCheckResponse health_response;
  ASSERT_TRUE(health->Check(&health_context, {}, &health_response).ok());
  EXPECT_EQ(health_response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::set<std::string> services;
  for (const auto& s : response.list_services_response().service()) services.insert(s.name());
  EXPECT_TRUE(services.contains("triggerfish.v1.RuleService"));
  EXPECT_TRUE(services.contains("triggerfish.v1.EventService"));
  EXPECT_TRUE(services.contains("grpc.health.v1.Health"));

  // A method can be described: the file declaring EventService is served.
  request.set_file_containing_symbol("triggerfish.v1.EventService");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());

  EXPECT_EQ(server.Stop(), 0) << "SIGTERM exits cleanly";
}

TEST(ServerTest, SeedRulesAreCreatedOnceFromTheSampleFile) {
  const std::string examples = std::string(TRIGGERFISH_SOURCE_DIR) + "/examples";
  ServerProcess server({"--config", examples + "/triggerfish.yaml", "--seed-rules",
                        examples + "/rules/sample.yaml"});
  ASSERT_TRUE(server.Start()) << server.log();
  auto stub = v1::RuleService::NewStub(server.Channel());
  v1::ListRulesResponse first;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub->ListRules(&context, {}, &first).ok());
  }
  EXPECT_GT(first.total_size(), 0);

  // A restart does not create them again.
  ASSERT_TRUE(server.Restart()) << server.log();
  stub = v1::RuleService::NewStub(server.Channel());
  grpc::ClientContext context;
  v1::ListRulesResponse second;
  ASSERT_TRUE(stub->ListRules(&context, {}, &second).ok());
  EXPECT_EQ(second.total_size(), first.total_size());
}

TEST(ServerTest, ConfigFileIsReadAndBadConfigRefusesToStart) {
  ServerProcess probe;
  const std::string config = probe.dir() + "/config.yaml";
  {
    std::ofstream out(config);
    out << "log_level: debug\nlimits:\n  max_predicates: 1\n";
  }
  ServerProcess server({"--config", config});
  ASSERT_TRUE(server.Start()) << server.log();
  auto stub = v1::RuleService::NewStub(server.Channel());
  grpc::ClientContext context;
  v1::CreateRuleRequest request;
  request.mutable_rule()->set_name("two predicates");
  request.mutable_rule()->mutable_trigger()->add_event_types("ticket.created");
  auto* all = request.mutable_rule()->mutable_condition()->mutable_all();
  for (int i = 0; i < 2; ++i) {
    auto* p = all->Add()->mutable_predicate();
    p->set_field("ticket.subject");
    p->set_operator_("present");
  }
  v1::Rule rule;
  auto status = stub->CreateRule(&context, request, &rule);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("limit of 1 predicates"), std::string::npos)
      << status.error_message();

  {
    std::ofstream out(config);
    out << "limits:\n  max_predicatez: 1\n";
  }
  ServerProcess bad({"--config", config});
  EXPECT_FALSE(bad.Start());
  EXPECT_NE(bad.log().find("unknown config key \"limits.max_predicatez\""), std::string::npos)
      << bad.log();
}

}  // namespace
}  // namespace triggerfish
