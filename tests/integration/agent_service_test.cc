// AgentService against the real triggerfishd, and the open-ticket counts it
// derives from the ticket snapshots.

#include <string>

#include "gtest/gtest.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/grpc_status.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/agent_service.grpc.pb.h"
#include "triggerfish/v1/event_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::FieldViolations;
using testing::FromJson;
using testing::ServerProcess;

class AgentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    agents_ = v1::AgentService::NewStub(server_.Channel());
  }

  grpc::Status Upsert(const std::string& json, v1::Agent* agent) {
    grpc::ClientContext context;
    v1::UpsertAgentRequest request;
    *request.mutable_agent() = FromJson<v1::Agent>(json);
    return agents_->UpsertAgent(&context, request, agent);
  }

  ServerProcess server_;
  std::unique_ptr<v1::AgentService::Stub> agents_;
};

TEST_F(AgentServiceTest, CrudFiltersAndOpenTicketCounts) {
  v1::Agent agent;
  ASSERT_TRUE(Upsert(R"({"id": "ana", "name": "Ana", "email": "ana@example.com",
    "groups": ["tier1"], "skills": ["billing"], "available": true})",
                     &agent)
                  .ok());
  EXPECT_FALSE(agent.etag().empty());
  ASSERT_TRUE(
      Upsert(R"({"id": "bo", "groups": ["tier1", "tier2"], "available": false})", &agent).ok());
  ASSERT_TRUE(Upsert(R"({"id": "cy", "groups": ["tier2"], "available": true})", &agent).ok());

  {
    grpc::ClientContext context;
    v1::CreateAgentRequest create;
    *create.mutable_agent() = FromJson<v1::Agent>(R"({"id": "ana"})");
    EXPECT_EQ(agents_->CreateAgent(&context, create, &agent).error_code(),
              grpc::StatusCode::ALREADY_EXISTS);
  }
  auto status = Upsert(R"({"id": "bad id", "max_open_tickets": -1})", &agent);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(FieldViolations(status).contains("agent.id"));
  EXPECT_TRUE(FieldViolations(status).contains("agent.max_open_tickets"));

  grpc::ClientContext list_context;
  v1::ListAgentsRequest list;
  list.set_group("tier1");
  list.set_available(true);
  v1::ListAgentsResponse listed;
  ASSERT_TRUE(agents_->ListAgents(&list_context, list, &listed).ok());
  ASSERT_EQ(listed.agents_size(), 1);
  EXPECT_EQ(listed.agents(0).id(), "ana");

  // Open tickets come from the snapshots: two open, one solved.
  auto events = v1::EventService::NewStub(server_.Channel());
  for (
      const char* json :
      {R"({"id": "e1", "type": "ticket.created", "ticket": {"id": "T1", "assignee_id": "ana", "status": "TICKET_STATUS_OPEN"}})",
       R"({"id": "e2", "type": "ticket.created", "ticket": {"id": "T2", "assignee_id": "ana", "status": "TICKET_STATUS_PENDING"}})",
       R"({"id": "e3", "type": "ticket.created", "ticket": {"id": "T3", "assignee_id": "ana", "status": "TICKET_STATUS_SOLVED"}})"}) {
    grpc::ClientContext context;
    v1::PublishEventRequest request;
    *request.mutable_event() = FromJson<v1::Event>(json);
    v1::PublishEventResponse response;
    ASSERT_TRUE(events->PublishEvent(&context, request, &response).ok());
  }
  grpc::ClientContext get_context;
  v1::GetAgentRequest get;
  get.set_id("ana");
  ASSERT_TRUE(agents_->GetAgent(&get_context, get, &agent).ok());
  EXPECT_EQ(agent.open_tickets(), 2);

  // Update with a mask and a stale etag.
  grpc::ClientContext update_context;
  v1::UpdateAgentRequest update;
  update.mutable_agent()->set_id("ana");
  update.mutable_agent()->set_available(false);
  update.mutable_update_mask()->add_paths("available");
  v1::Agent updated;
  ASSERT_TRUE(agents_->UpdateAgent(&update_context, update, &updated).ok());
  EXPECT_FALSE(updated.available());
  EXPECT_EQ(updated.name(), "Ana");
  grpc::ClientContext stale_context;
  update.mutable_agent()->set_etag(agent.etag());
  EXPECT_EQ(agents_->UpdateAgent(&stale_context, update, &updated).error_code(),
            grpc::StatusCode::ABORTED);

  grpc::ClientContext delete_context;
  v1::DeleteAgentRequest del;
  del.set_id("cy");
  google::protobuf::Empty empty;
  ASSERT_TRUE(agents_->DeleteAgent(&delete_context, del, &empty).ok());
  grpc::ClientContext again;
  EXPECT_EQ(agents_->DeleteAgent(&again, del, &empty).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace triggerfish
