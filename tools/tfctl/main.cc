// tfctl: the command-line client of triggerfishd's gRPC API, for people
// (tables) and CI pipelines (--output json, exit codes). docs/tfctl.md
// describes every command.

#include <iostream>

#include "CLI/CLI.hpp"
#include "tools/tfctl/commands.h"
#include "tools/tfctl/common.h"

int main(int argc, char** argv) {
  using namespace triggerfish::tfctl;
  GlobalOptions options;
  CLI::App app{"tfctl: manage Triggerfish rules, test them, publish events, inspect executions"};
  app.name("tfctl");
  // Global flags may follow the subcommand: `tfctl rules list -o json`.
  app.fallthrough();
  app.require_subcommand(1);
  app.add_option("--address", options.address, "server address host:port")
      ->envname("TRIGGERFISH_ADDRESS")
      ->capture_default_str();
  app.add_option("--token", options.token, "bearer token, sent as `authorization: Bearer <token>`")
      ->envname("TRIGGERFISH_TOKEN");
  app.add_flag("--tls", options.tls, "connect with TLS (implied by --ca-file / --cert-file)");
  app.add_option("--ca-file", options.ca_file, "PEM root certificates (default: system roots)")
      ->envname("TRIGGERFISH_CA_FILE");
  app.add_option("--cert-file", options.cert_file, "PEM client certificate chain (mTLS)")
      ->envname("TRIGGERFISH_CERT_FILE");
  app.add_option("--key-file", options.key_file, "PEM client private key (mTLS)")
      ->envname("TRIGGERFISH_KEY_FILE");
  app.add_option("--timeout", options.timeout_seconds,
                 "deadline of each call in seconds; 0 = none (streams have none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("-o,--output", options.output, "table (for people) or json (for scripts)")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();

  AddRulesCommands(app, options);
  AddTestCommand(app, options);
  AddEventsCommands(app, options);
  AddExecutionsCommands(app, options);
  AddAgentsCommands(app, options);
  AddTicketsCommands(app, options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  } catch (const Failure& failure) {
    if (failure.what()[0] != '\0') std::cerr << "tfctl: " << failure.what() << "\n";
    return failure.exit_code();
  }
  return kExitOk;
}
