// tf-plugin-check PATH.so [--config FILE]
//                 [--run TYPE [--params JSON] [--ticket JSON] [--event JSON] [--timeout-ms N]]
//
// Loads a plugin with the server's loader (same checks: descriptor, ABI
// version, schemas, config, init), prints what it provides and, with --run,
// executes one action against an in-memory host (FakeHost). JSON arguments
// may be given inline or as @file. Exit status: 0 if everything passed, 1 if
// the plugin was refused, the params are invalid or the action did not
// return OK, 2 on bad usage.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <triggerfish/testing/fake_host.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "server/plugins/module_loader.h"
#include "server/plugins/plugin_host.h"

namespace {

namespace tfp = triggerfish::server::plugins;
using Json = nlohmann::json;

constexpr char kSampleTicket[] = R"({
  "id": "1", "subject": "Sample ticket", "description": "Printer on fire",
  "status": "open", "priority": "normal", "type": "incident", "channel": "email",
  "tags": ["sample"], "requester": {"id": "u1", "email": "ada@example.com", "name": "Ada"},
  "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
  "custom_fields": {}
})";

constexpr char kSampleEvent[] = R"({
  "id": "check-1", "type": "ticket.updated", "occurred_at": "2024-01-01T00:00:00Z",
  "actor": "tf-plugin-check"
})";

// Parses `text`, or the file it names when it starts with '@'.
bool ParseArgument(const std::string& what, const std::string& text, Json& out) {
  std::string content = text;
  if (!text.empty() && text[0] == '@') {
    std::ifstream in(text.substr(1));
    if (!in) {
      std::cerr << "error: cannot read " << what << " file " << text.substr(1) << "\n";
      return false;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    content = buffer.str();
  }
  out = Json::parse(content, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    std::cerr << "error: " << what << " is not valid JSON\n";
    return false;
  }
  return true;
}

void PrintPlugin(const tfp::PluginInfo& p) {
  std::cout << "plugin   " << p.name << " " << p.version << " (ABI " << p.abi_major << "."
            << p.abi_minor << ")\n"
            << "build    " << p.build_info << "\n"
            << "file     " << p.path.string() << "\n"
            << "actions\n";
  for (const tfp::ActionInfo& a : p.actions) {
    std::printf("  %-32s %-9s %s\n", a.type.c_str(), std::string(tfp::ToString(a.mode)).c_str(),
                a.description.c_str());
  }
}

int Run(tfp::PluginHost& host, triggerfish::sdk::testing::FakeHost& fake, const std::string& type,
        const Json& params, const Json& ticket, const Json& event, int timeout_ms) {
  absl::StatusOr<std::vector<tfp::SchemaViolation>> violations = host.ValidateParams(type, params);
  if (!violations.ok()) {
    std::cout << "FAIL     " << violations.status().message() << "\n";
    return 1;
  }
  if (!violations->empty()) {
    std::cout << "FAIL     params do not match the schema of " << type << "\n";
    for (const tfp::SchemaViolation& v : *violations) {
      std::cout << "  " << (v.path.empty() ? "(root)" : v.path) << ": " << v.message << "\n";
    }
    return 1;
  }
  std::string ticket_id = ticket.is_object() ? ticket.value("id", std::string()) : std::string();
  auto execution = fake.NewExecution({"default", type.substr(0, type.find('.')), ticket_id});
  std::string params_text = params.dump();
  std::string ticket_text = ticket.dump();
  std::string event_text = event.dump();
  tfp::ExecuteRequest request;
  request.ctx = execution->ctx();
  request.params_json = params_text;
  request.ticket_json = ticket_text;
  request.event_json = event_text;
  request.operation_id = "tf-plugin-check-1";
  request.timeout = std::chrono::milliseconds(timeout_ms);
  tfp::ExecuteOutcome out = host.Execute(type, request);

  double ms = std::chrono::duration<double, std::milli>(out.duration).count();
  std::printf("run      %s -> %s (%.3f ms)\n", type.c_str(),
              std::string(tfp::ToString(out.code)).c_str(), ms);
  if (!out.error.empty()) std::cout << "error    " << out.error << "\n";
  std::cout << "result   " << out.result.dump(2) << "\n";
  for (const auto& line : fake.logs()) std::cout << "log      " << line.message << "\n";
  for (const auto& timer : fake.timers()) {
    std::cout << "timer    " << timer.key << " -> " << timer.event_type << " at "
              << timer.due_unix_micros << " payload " << timer.payload.dump() << "\n";
  }
  return out.code == tfp::ResultCode::kOk ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Loads a Triggerfish plugin like triggerfishd does, checks it, and smoke-runs it."};
  std::string path;
  std::string config_file;
  std::string action;
  std::string params_text = "{}";
  std::string ticket_text = kSampleTicket;
  std::string event_text = kSampleEvent;
  int timeout_ms = 5000;
  app.add_option("plugin", path, "Plugin module (.so)")->required()->check(CLI::ExistingFile);
  app.add_option("--config", config_file, "Plugin config: JSON file")->check(CLI::ExistingFile);
  auto* run = app.add_option("--run", action, "Action type to execute, e.g. ticket.add_tags");
  app.add_option("--params", params_text, "Action params: JSON or @file")->needs(run);
  app.add_option("--ticket", ticket_text, "Ticket JSON or @file (default: a sample ticket)")
      ->needs(run);
  app.add_option("--event", event_text, "Event JSON or @file (default: ticket.updated)")
      ->needs(run);
  app.add_option("--timeout-ms", timeout_ms, "Execution timeout in milliseconds (0 = none)")
      ->needs(run);
  CLI11_PARSE(app, argc, argv);

  // Diagnostics go to stderr; stdout carries the report.
  spdlog::set_default_logger(spdlog::stderr_color_mt("tf-plugin-check"));

  tfp::PluginHostOptions options;
  if (!config_file.empty()) {
    Json config;
    if (!ParseArgument("config", "@" + config_file, config)) return 1;
    // The loader looks configs up by plugin name, so learn the name first.
    absl::StatusOr<const tf_plugin_descriptor*> descriptor = tfp::OpenPluginModule(path);
    if (descriptor.ok() && (*descriptor)->name != nullptr) {
      options.configs[(*descriptor)->name] = config;
    }
  }
  triggerfish::sdk::testing::FakeHost fake;
  fake.SetNow(std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count());
  tfp::PluginHost host(fake.api(), options);
  if (absl::Status status = host.LoadFile(path); !status.ok()) {
    std::cout << "FAIL     " << status.message() << "\n";
    return 1;
  }
  PrintPlugin(host.plugins().front());
  if (action.empty()) {
    std::cout << "OK\n";
    return 0;
  }
  Json params, ticket, event;
  if (!ParseArgument("params", params_text, params) ||
      !ParseArgument("ticket", ticket_text, ticket) || !ParseArgument("event", event_text, event)) {
    return 2;
  }
  return Run(host, fake, action, params, ticket, event, timeout_ms);
}
