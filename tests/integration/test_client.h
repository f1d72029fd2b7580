#pragma once

// What the integration tests share: polling, files, test configs, and a
// client of a running triggerfishd (every service's stub plus the few calls
// the tests repeat, returning the gRPC status so that a test can assert on
// the error as well as on success).

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/agent_service.grpc.pb.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/execution_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"
#include "triggerfish/v1/ticket_service.grpc.pb.h"

namespace triggerfish::testing {

// Polls `condition` for up to `seconds`.
template <typename Condition>
bool Eventually(Condition condition, double seconds = 10) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(int(seconds * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return condition();
}

inline std::string ReadFileText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Non-empty lines of a file (missing file: none).
inline std::vector<std::string> FileLines(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream in(ReadFileText(path));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// Writes `yaml` to a new file in the test's temporary directory and returns
// its path (for --config). The files are removed when the test binary exits.
inline std::string WriteConfig(const std::string& yaml) {
  struct Files {
    std::vector<std::string> paths;
    ~Files() {
      for (const auto& p : paths) std::remove(p.c_str());
    }
  };
  static Files files;
  const std::string path = ::testing::TempDir() + "triggerfish-config-" + std::to_string(getpid()) +
                           "-" + std::to_string(files.paths.size() + 1) + ".yaml";
  std::ofstream(path) << yaml;
  files.paths.push_back(path);
  return path;
}

// The plugin_dirs line of a test config: the bundled plugins and the
// recorder fixture plugin (it appends what it was asked to do to a file).
inline std::string BundledAndRecorderPluginDirs() {
  return std::string("plugin_dirs: [\"") + TRIGGERFISH_BUNDLED_PLUGIN_DIR + "\", \"" +
         TRIGGERFISH_RECORDER_PLUGIN_DIR + "\"]\n";
}

class Client {
 public:
  explicit Client(const std::shared_ptr<grpc::Channel>& channel)
      : rules(v1::RuleService::NewStub(channel)),
        events(v1::EventService::NewStub(channel)),
        tickets(v1::TicketService::NewStub(channel)),
        executions(v1::ExecutionService::NewStub(channel)),
        agents(v1::AgentService::NewStub(channel)),
        health(grpc::health::v1::Health::NewStub(channel)) {}

  grpc::Status CreateRule(const std::string& id, const v1::Rule& rule, v1::Rule* out = nullptr) {
    grpc::ClientContext context;
    v1::CreateRuleRequest request;
    request.set_rule_id(id);
    *request.mutable_rule() = rule;
    v1::Rule ignored;
    return rules->CreateRule(&context, request, out != nullptr ? out : &ignored);
  }
  grpc::Status CreateRule(const std::string& id, const std::string& json) {
    return CreateRule(id, FromJson<v1::Rule>(json));
  }

  grpc::Status Publish(const v1::Event& event, v1::PublishEventResponse* response,
                       std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    v1::PublishEventRequest request;
    *request.mutable_event() = event;
    return events->PublishEvent(&context, request, response);
  }
  grpc::Status Publish(const std::string& json, v1::PublishEventResponse* response) {
    return Publish(FromJson<v1::Event>(json), response);
  }

  // Every rule id, in evaluation order (all pages).
  std::vector<std::string> RuleIds() {
    std::vector<std::string> ids;
    v1::ListRulesRequest request;
    request.set_page_size(1000);
    do {
      grpc::ClientContext context;
      v1::ListRulesResponse response;
      if (!rules->ListRules(&context, request, &response).ok()) return {"<ListRules failed>"};
      for (const auto& r : response.rules()) ids.push_back(r.id());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return ids;
  }

  grpc::Status GetTicket(const std::string& id, v1::TicketRecord* record) {
    grpc::ClientContext context;
    v1::GetTicketRequest request;
    request.set_id(id);
    return tickets->GetTicket(&context, request, record);
  }

  int TicketCount() {
    grpc::ClientContext context;
    v1::ListTicketsRequest request;
    request.set_page_size(1000);
    v1::ListTicketsResponse response;
    if (!tickets->ListTickets(&context, request, &response).ok()) return -1;
    return response.tickets_size();
  }

  std::vector<v1::Execution> Executions(const v1::ListExecutionsRequest& request = {}) {
    grpc::ClientContext context;
    v1::ListExecutionsResponse response;
    if (!executions->ListExecutions(&context, request, &response).ok()) return {};
    return {response.executions().begin(), response.executions().end()};
  }

  v1::Execution GetExecution(const std::string& id) {
    grpc::ClientContext context;
    v1::GetExecutionRequest request;
    request.set_id(id);
    v1::Execution execution;
    (void)executions->GetExecution(&context, request, &execution);
    return execution;
  }

  // Waits until execution `id` reaches `status`; returns it.
  v1::Execution WaitForExecution(const std::string& id, v1::ExecutionStatus status,
                                 double seconds = 20) {
    v1::Execution execution;
    Eventually(
        [&] {
          execution = GetExecution(id);
          return execution.status() == status;
        },
        seconds);
    return execution;
  }

  std::vector<std::string> AgentIds() {
    grpc::ClientContext context;
    v1::ListAgentsRequest request;
    request.set_page_size(1000);
    v1::ListAgentsResponse response;
    if (!agents->ListAgents(&context, request, &response).ok()) return {"<ListAgents failed>"};
    std::vector<std::string> ids;
    for (const auto& a : response.agents()) ids.push_back(a.id());
    return ids;
  }

  bool Serving() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckResponse response;
    return health->Check(&context, {}, &response).ok() &&
           response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  }

  std::unique_ptr<v1::RuleService::Stub> rules;
  std::unique_ptr<v1::EventService::Stub> events;
  std::unique_ptr<v1::TicketService::Stub> tickets;
  std::unique_ptr<v1::ExecutionService::Stub> executions;
  std::unique_ptr<v1::AgentService::Stub> agents;
  std::unique_ptr<grpc::health::v1::Health::Stub> health;
};

}  // namespace triggerfish::testing
