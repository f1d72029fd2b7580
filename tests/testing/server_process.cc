#include "tests/testing/server_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"

#ifndef TRIGGERFISHD_PATH
#error "TRIGGERFISHD_PATH must name the triggerfishd binary"
#endif

namespace triggerfish::testing {

namespace {

// A test client is often idle (blocked in waitpid) while its server shuts
// down; gRPC then reads the server's GOAWAY only when its backup poller runs,
// every 5 s by default. Poll often so that graceful shutdowns take as long as
// they would with a busy client.
const bool kFastBackupPoll = [] {
  setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "50", /*overwrite=*/0);
  return true;
}();

// The first line of every sanitizer report; UBSan's is "<file>:<line>:<col>:
// runtime error: ...".
constexpr std::string_view kReportMarkers[] = {
    "ERROR: AddressSanitizer:", "ERROR: LeakSanitizer:", "WARNING: ThreadSanitizer:",
    "ThreadSanitizer: ", ": runtime error: "};

// Reports of a fatal signal, which a test that crashes the server on purpose
// expects.
bool IsCrashReport(std::string_view line) {
  return line.find("Sanitizer: SEGV") != std::string_view::npos ||
         line.find("Sanitizer: BUS") != std::string_view::npos ||
         line.find("Sanitizer: ABRT") != std::string_view::npos;
}

}  // namespace

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

ServerProcess::ServerProcess(std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)) {
  char pattern[] = "/tmp/triggerfish-test-XXXXXX";
  dir_ = mkdtemp(pattern);
  store_path_ = dir_ + "/triggerfish.db";
  log_path_ = dir_ + "/server.log";
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Kill();
  const std::string report = SanitizerReport();
  if (!report.empty()) ADD_FAILURE() << "triggerfishd reported:\n" << report;
  std::string command = "rm -rf '" + dir_ + "'";
  (void)std::system(command.c_str());
}

std::shared_ptr<grpc::Channel> ServerProcess::Channel() const {
  // A channel of its own (no subchannel shared with channels to an earlier
  // server process on the same port, and so none of their reconnect backoff).
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(
      address(), credentials_ ? credentials_ : grpc::InsecureChannelCredentials(), args);
  // Connect now, so that a test's first call does not race the connection
  // (while the server runs; a stopped server still fails calls at once).
  if (pid_ > 0) {
    channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  return channel;
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int ServerProcess::admin_port() const {
  // The last start's line (a restart appends to the same log).
  static constexpr std::string_view kLine = "admin HTTP server (/metrics) listening on port ";
  const std::string text = log();
  const size_t at = text.rfind(kLine);
  if (at == std::string::npos) return 0;
  return std::atoi(text.c_str() + at + kLine.size());
}

bool ServerProcess::Start() {
  if (port_ == 0) port_ = FreePort();
  std::vector<std::string> args = {TRIGGERFISHD_PATH, "--listen",    address(), "--store",
                                   store_path_,       "--log-level", "debug"};
  if (std::find(extra_args_.begin(), extra_args_.end(), "--admin-listen") == extra_args_.end()) {
    args.insert(args.end(), {"--admin-listen", "127.0.0.1:0"});
  }
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  pid_ = fork();
  if (pid_ == 0) {
    const int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(log, 1);
    dup2(log, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  // The server logs this line once it listens; then its health must say
  // SERVING. Polling the log avoids the channel's reconnect backoff that
  // probing a closed port would start.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (log().find("triggerfishd serving on port") == std::string::npos) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;  // exited during start-up
    }
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto health = grpc::health::v1::Health::NewStub(Channel());
  grpc::ClientContext context;
  context.set_wait_for_ready(true);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  if (health->Check(&context, request, &response).ok() &&
      response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
    return true;
  }
  Kill();
  return false;
}

int ServerProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string ServerProcess::SanitizerReport() const {
  const std::string text = log();
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string::npos) line_end = text.size();
    const std::string_view line(text.data() + line_start, line_end - line_start);
    const bool is_report =
        std::any_of(std::begin(kReportMarkers), std::end(kReportMarkers),
                    [&](std::string_view marker) { return line.find(marker) != line.npos; });
    if (is_report && !(expect_crash_reports_ && IsCrashReport(line))) {
      // The report, up to a bounded length: enough for its stacks.
      return text.substr(line_start, 16384);
    }
    line_start = line_end + 1;
  }
  return "";
}

bool ServerProcess::WaitForExit(std::chrono::milliseconds timeout, int* status) {
  if (pid_ <= 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (waitpid(pid_, status, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool ServerProcess::Restart() {
  Stop();
  return Start();
}

}  // namespace triggerfish::testing
