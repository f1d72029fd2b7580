// SmtpSink: runs smtp_sink.py (a loopback aiosmtpd server) as a child
// process for the duration of a test and reads the messages it stored.
//
//   SmtpSink sink;                       // free port, fresh directory
//   ASSERT_TRUE(sink.Start()) << sink.error();
//   ... send to smtp://127.0.0.1:<sink.port()> ...
//   std::vector<Json> mails = sink.Messages();   // see smtp_sink.py
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace triggerfish::plugins::email::testing {

class SmtpSink {
 public:
  SmtpSink() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tf-smtp-sink-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) directory_ = pattern;
  }
  ~SmtpSink() {
    Stop();
    std::error_code ignored;
    if (!directory_.empty()) std::filesystem::remove_all(directory_, ignored);
  }
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  // Starts the server on `port` (0 = a free one) and waits until it listens.
  // `auth` is "user:password" to require SMTP AUTH. Returns false (see
  // error()) if it did not come up within 15 s.
  bool Start(int port = 0, const std::string& auth = "") {
    Stop();
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return Fail("pipe failed");
    std::vector<std::string> args = {"/usr/bin/python3", TF_SMTP_SINK, directory_.string(),
                                     "--port", std::to_string(port)};
    if (!auth.empty()) args.insert(args.end(), {"--auth", auth});
    // Built before fork: the child may only make async-signal-safe calls.
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) {
      ::close(out[0]);
      ::close(out[1]);
      return Fail("fork failed");
    }
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (line.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd fd{out[0], POLLIN, 0};
      if (left.count() <= 0 || ::poll(&fd, 1, static_cast<int>(left.count())) <= 0) break;
      char buffer[256];
      ssize_t n = ::read(out[0], buffer, sizeof(buffer));
      if (n <= 0) break;
      line.append(buffer, static_cast<size_t>(n));
    }
    ::close(out[0]);
    if (line.rfind("PORT ", 0) != 0) {
      Stop();
      return Fail("smtp_sink.py did not start: \"" + line + "\"");
    }
    port_ = std::atoi(line.c_str() + 5);
    return true;
  }

  // Stops the server (SIGTERM; SIGKILL if it is still there after 5 s) and
  // reaps it. Stored messages stay.
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      ::usleep(10'000);
    }
    pid_ = -1;
  }

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  const std::string& error() const { return error_; }

  // The stored messages in arrival order (see smtp_sink.py for the format).
  std::vector<nlohmann::json> Messages() const {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory_)) {
      if (entry.path().extension() == ".json") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<nlohmann::json> out;
    for (const auto& file : files) out.push_back(nlohmann::json::parse(std::ifstream(file)));
    return out;
  }

 private:
  bool Fail(std::string error) {
    error_ = std::move(error);
    return false;
  }

  std::filesystem::path directory_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string error_;
};

}  // namespace triggerfish::plugins::email::testing
