#pragma once

// What every tfctl command shares: the global flags, the exit codes and the
// exception that ends a command with one of them.
//
// Commands report problems by throwing Failure; main() prints nothing more
// and exits with its code. Output for people goes to stdout as tables,
// output for scripts (--output json) is one JSON document on stdout;
// diagnostics always go to stderr.

#include <stdexcept>
#include <string>

#include "nlohmann/json.hpp"

namespace triggerfish::tfctl {

// Documents keep their keys in insertion order (proto field order on output,
// file order on input).
using Json = nlohmann::ordered_json;

// Process exit codes.
inline constexpr int kExitOk = 0;
// The server refused a call, a case failed, an event was not published.
inline constexpr int kExitFailed = 1;
// Bad flags or unreadable / malformed input files.
inline constexpr int kExitUsage = 2;

// Flags that apply to every command (see main.cc for their environment
// variables and defaults).
struct GlobalOptions {
  std::string address = "localhost:50051";
  std::string token;
  bool tls = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // Deadline of each unary call, in seconds; 0 means none.
  double timeout_seconds = 30;
  // "table" or "json".
  std::string output = "table";

  bool json() const { return output == "json"; }
};

// Ends the running command. The message (already printed when empty) goes to
// stderr.
class Failure : public std::runtime_error {
 public:
  Failure(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Throws a usage Failure (exit code 2).
[[noreturn]] inline void UsageError(const std::string& message) {
  throw Failure(kExitUsage, message);
}

}  // namespace triggerfish::tfctl
