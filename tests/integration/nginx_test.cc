// The API through nginx as an HTTP/2 gRPC reverse proxy (`grpc_pass`), as it
// is deployed behind an ingress: unary calls, error details in trailers,
// health checks and a bidirectional stream all pass through intact.
//
// nginx runs in the foreground as a child of the test (daemon off, one
// process) with a generated config whose every path is in a temporary
// directory. Skipped only when no nginx binary is installed.

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/grpc_status.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::FieldViolations;
using testing::FreePort;
using testing::FromJson;
using testing::ServerProcess;

std::string FindNginx() {
  for (const char* path : {"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool CanConnect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// nginx proxying 127.0.0.1:port() to a gRPC upstream.
class NginxProcess {
 public:
  NginxProcess(std::string binary, int upstream_port)
      : binary_(std::move(binary)), upstream_port_(upstream_port) {
    char pattern[] = "/tmp/triggerfish-nginx-XXXXXX";
    dir_ = mkdtemp(pattern);
  }
  ~NginxProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }

  // Starts nginx and waits until it accepts connections.
  bool Start() {
    port_ = FreePort();
    // grpc_buffer_size: the upstream's response headers and trailers must
    // fit, and google.rpc.Status details travel in a trailer.
    std::ofstream(dir_ + "/nginx.conf") << R"(
daemon off;
master_process off;
pid )" << dir_ << R"(/nginx.pid;
error_log )" << dir_ << R"(/error.log info;
events { worker_connections 256; }
http {
  access_log )" << dir_ << R"(/access.log;
  client_body_temp_path )" << dir_ << R"(/client_body;
  proxy_temp_path )" << dir_ << R"(/proxy;
  fastcgi_temp_path )" << dir_ << R"(/fastcgi;
  uwsgi_temp_path )" << dir_ << R"(/uwsgi;
  scgi_temp_path )" << dir_ << R"(/scgi;
  server {
    listen 127.0.0.1:)" << port_ << R"( http2;
    location / {
      grpc_pass grpc://127.0.0.1:)" << upstream_port_
                                        << R"(;
      grpc_buffer_size 64k;
      grpc_read_timeout 1h;
      grpc_send_timeout 1h;
    }
  }
}
)";
    pid_ = fork();
    if (pid_ == 0) {
      const int log = open((dir_ + "/stderr.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(log, 1);
      dup2(log, 2);
      const std::string conf = dir_ + "/nginx.conf";
      const std::string error_log = dir_ + "/error.log";
      execl(binary_.c_str(), binary_.c_str(), "-p", dir_.c_str(), "-e", error_log.c_str(), "-c",
            conf.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      if (CanConnect(port_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::shared_ptr<grpc::Channel> Channel() const {
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                               grpc::InsecureChannelCredentials());
  }
  std::string log() const { return ReadFile(dir_ + "/stderr.log") + ReadFile(dir_ + "/error.log"); }

 private:
  std::string binary_;
  int upstream_port_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

class NginxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string nginx = FindNginx();
    if (nginx.empty()) GTEST_SKIP() << "nginx is not installed (scripts/install-deps.sh adds it)";
    server_ = std::make_unique<ServerProcess>();
    ASSERT_TRUE(server_->Start()) << server_->log();
    const int upstream = std::stoi(server_->address().substr(server_->address().rfind(':') + 1));
    nginx_ = std::make_unique<NginxProcess>(nginx, upstream);
    ASSERT_TRUE(nginx_->Start()) << nginx_->log();
    channel_ = nginx_->Channel();
    ASSERT_TRUE(
        channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5)));
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<NginxProcess> nginx_;
  std::shared_ptr<grpc::Channel> channel_;
};

constexpr char kTagRule[] = R"({
  "name": "tag urgent outages",
  "trigger": {"event_types": ["ticket.created"]},
  "condition": {"all": [
    {"predicate": {"field": "ticket.subject", "operator": "contains", "value": "down"}}]},
  "actions": [{"type": "ticket.add_tags", "params": {"tags": ["outage"]}}]
})";

TEST_F(NginxTest, HealthCheckThroughTheProxy) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = health->Check(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << nginx_->log();
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(NginxTest, RuleCreatedThroughTheProxyFiresOnAPublishedEvent) {
  auto rules = v1::RuleService::NewStub(channel_);
  {
    grpc::ClientContext context;
    v1::CreateRuleRequest request;
    request.set_rule_id("outage");
    *request.mutable_rule() = FromJson<v1::Rule>(kTagRule);
    v1::Rule rule;
    const grpc::Status status = rules->CreateRule(&context, request, &rule);
    ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << nginx_->log();
    EXPECT_EQ(rule.id(), "outage");
  }
  auto events = v1::EventService::NewStub(channel_);
  grpc::ClientContext context;
  v1::PublishEventRequest request;
  *request.mutable_event() = FromJson<v1::Event>(
      R"({"id": "e1", "type": "ticket.created", "ticket": {"id": "T1", "subject": "Site is down"}})");
  v1::PublishEventResponse response;
  const grpc::Status status = events->PublishEvent(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << nginx_->log();
  ASSERT_EQ(response.fired_rules_size(), 1);
  EXPECT_EQ(response.fired_rules(0).rule_id(), "outage");
  ASSERT_EQ(response.ticket_patch().add_tags_size(), 1);
  EXPECT_EQ(response.ticket_patch().add_tags(0), "outage");
}

TEST_F(NginxTest, ValidationErrorKeepsItsBadRequestDetails) {
  auto rules = v1::RuleService::NewStub(channel_);
  grpc::ClientContext context;
  v1::CreateRuleRequest request;
  request.set_rule_id("broken");
  *request.mutable_rule() = FromJson<v1::Rule>(R"({
    "name": "broken",
    "trigger": {"event_types": ["ticket.created"]},
    "condition": {"all": [
      {"predicate": {"field": "ticket.priorty", "operator": "is", "value": "high"}},
      {"predicate": {"field": "ticket.status", "operator": "contains", "value": "op"}}]},
    "actions": [{"type": "nosuch.action"}]
  })");
  v1::Rule rule;
  const grpc::Status status = rules->CreateRule(&context, request, &rule);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message() << "\n"
      << nginx_->log();
  auto violations = FieldViolations(status);
  EXPECT_EQ(violations.size(), 3u) << status.error_message();
  ASSERT_TRUE(violations.contains("rule.condition.all[0].predicate.field"));
  EXPECT_NE(violations["rule.condition.all[0].predicate.field"].find("ticket.priority"),
            std::string::npos);
  EXPECT_TRUE(violations.contains("rule.condition.all[1].predicate.operator"));
  EXPECT_TRUE(violations.contains("rule.actions[0].type"));
}

TEST_F(NginxTest, PublishEventsStreamThroughTheProxy) {
  auto events = v1::EventService::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = events->PublishEvents(&context);
  constexpr int kEvents = 50;
  std::thread writer([&] {
    for (int i = 0; i < kEvents; ++i) {
      v1::PublishEventRequest request;
      *request.mutable_event() =
          FromJson<v1::Event>(R"({"id": "s)" + std::to_string(i) +
                              R"(", "type": "ticket.created", "ticket": {"id": ")" +
                              (i == 7 ? std::string() : "T" + std::to_string(i)) + R"("}})");
      if (!stream->Write(request)) return;
    }
    stream->WritesDone();
  });
  v1::PublishEventsResponse response;
  int n = 0;
  while (stream->Read(&response)) {
    EXPECT_EQ(response.event_id(), "s" + std::to_string(n));
    if (n == 7) {
      // A bad event fails alone, with its details.
      EXPECT_EQ(response.error().code(), grpc::StatusCode::INVALID_ARGUMENT);
    } else {
      EXPECT_TRUE(response.has_result()) << response.error().message();
    }
    ++n;
  }
  writer.join();
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message() << "\n" << nginx_->log();
  EXPECT_EQ(n, kEvents);
}

}  // namespace
}  // namespace triggerfish
