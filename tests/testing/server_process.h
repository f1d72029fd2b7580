#pragma once

// Runs the real triggerfishd binary for integration tests: on a free loopback
// port, with its store in a temporary directory, waiting until its health
// service says SERVING. Restart() keeps the store; Kill() sends SIGKILL.
// In a sanitizer build the server's own reports (AddressSanitizer, LeakSanitizer,
// UndefinedBehaviorSanitizer, ThreadSanitizer) land in its log, not in the
// test's output; the destructor fails the running test if the log has one, so
// that a report during e.g. a graceful shutdown cannot go unnoticed.
//
//   ServerProcess server;
//   ASSERT_TRUE(server.Start());
//   auto stub = v1::RuleService::NewStub(server.Channel());

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "grpcpp/grpcpp.h"

namespace triggerfish::testing {

class ServerProcess {
 public:
  // `extra_args` are appended to the command line.
  explicit ServerProcess(std::vector<std::string> extra_args = {});
  ~ServerProcess();

  // Starts the server and waits (up to 20 s) until it is SERVING. On
  // failure, returns false and leaves the server's log in log().
  bool Start();
  // SIGTERM and wait; returns the exit status (as from waitpid).
  int Stop();
  // SIGKILL and reap.
  void Kill();
  // Stop() then Start() on the same store and port.
  bool Restart();
  // Waits up to `timeout` for the server to exit on its own (e.g. crash)
  // and reaps it; *status is as from waitpid. False if it is still running
  // (or was not started).
  bool WaitForExit(std::chrono::milliseconds timeout, int* status);

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // The admin HTTP port (/metrics) the server logged, or 0. Unless the extra
  // arguments say otherwise, the server picks a free loopback port for it
  // (so that concurrent servers do not fight over the default 9090).
  int admin_port() const;
  std::shared_ptr<grpc::Channel> Channel() const;
  // Credentials of Channel() (and of the health check in Start()); insecure
  // unless set, e.g. to TLS for a server configured with `tls`.
  void set_channel_credentials(std::shared_ptr<grpc::ChannelCredentials> credentials) {
    credentials_ = std::move(credentials);
  }
  const std::string& store_path() const { return store_path_; }
  // Where the store goes (call before Start); by default a file in dir().
  void set_store_path(std::string path) { store_path_ = std::move(path); }
  const std::string& dir() const { return dir_; }
  // What the server wrote to stdout/stderr so far.
  std::string log() const;
  // The first sanitizer report in log() (from its header line on), or "".
  std::string SanitizerReport() const;
  // For a test that crashes the server on purpose: a sanitizer's report of
  // that fatal signal ("...Sanitizer: SEGV") is expected and does not fail it.
  void set_expect_crash_reports(bool expect) { expect_crash_reports_ = expect; }
  pid_t pid() const { return pid_; }

 private:
  std::vector<std::string> extra_args_;
  std::string dir_;
  std::string store_path_;
  std::string log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool expect_crash_reports_ = false;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
};

// A port on 127.0.0.1 that was free a moment ago.
int FreePort();

}  // namespace triggerfish::testing
