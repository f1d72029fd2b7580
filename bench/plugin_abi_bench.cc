// Inline action calls per second through the plugin C ABI vs a direct C++
// call, in one run: the bundled ticket plugin's `ticket.add_tags` on a
// realistic ticket, params {"tags": ["vip", "billing"]} (the ticket already
// has "billing", so the patch adds "vip").
//
//   BM_HostExecute      PluginHost::Execute through the loaded ticket.so: the
//                       full host path (JSON text in, the plugin parses and
//                       runs it, the result JSON parsed and checked against
//                       the Result format), then the patch checked here.
//   BM_RawAbiCall       the action's tf_execute_fn called through the
//                       descriptor's function pointer with the same JSON
//                       text; the result bytes land in a sink, unparsed.
//   BM_DirectTextCall   the same action class compiled into this binary,
//                       called with the same text in and text out (parse,
//                       Execute, dump): the ABI call minus the crossing.
//   BM_DirectCall       the action class called directly on already-parsed
//                       nlohmann::json params and ticket: what a built-in
//                       C++ action would cost.
// After the runs, the ratios of each to BM_DirectCall and BM_RawAbiCall are
// printed.

#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <triggerfish/plugin_abi.h>
#include <triggerfish/sdk.h>
#include <triggerfish/testing/fake_host.h>

#include "plugins/ticket/tags.h"
#include "server/plugins/plugin_host.h"

namespace triggerfish::bench {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kAction = "ticket.add_tags";
constexpr std::string_view kParams = R"({"tags":["vip","billing"]})";
constexpr std::string_view kTicket = R"({
  "id": "T100042", "subject": "Refund for order #48213",
  "description": "I was charged twice this month, see the attached invoice.",
  "status": "open", "priority": "high", "type": "incident", "channel": "email",
  "tags": ["billing", "refund", "invoice", "german"],
  "requester": {"id": "u4711", "email": "user4711@bigcorp.com", "name": "Customer 4711",
                "organization": "bigcorp"},
  "assignee_id": "a17", "group_id": "g04",
  "created_at": "2026-03-01T08:12:00Z", "updated_at": "2026-03-02T09:58:00Z",
  "custom_fields": {"plan": "enterprise", "mrr": 2400, "region": "eu", "language": "de"}})";
constexpr std::string_view kEvent =
    R"({"id": "e-00042", "type": "ticket.updated", "occurred_at": "2026-03-02T10:00:00Z",
        "actor": "agent:a17"})";

// The ticket plugin loaded twice from the same module: into a PluginHost
// (the server's path) and by hand (for the raw ABI call), both against a
// FakeHost's host API table.
class Fixture {
 public:
  static Fixture& Get() {
    static Fixture* fixture = new Fixture();  // never destroyed: modules stay loaded
    return *fixture;
  }

  const server::plugins::PluginHost& host() const { return *host_; }
  tf_plugin_instance* instance() const { return instance_; }
  const tf_action_descriptor& action() const { return *action_; }
  sdk::testing::FakeHost& fake() { return fake_; }

 private:
  Fixture() {
    host_ = std::make_unique<server::plugins::PluginHost>(fake_.api(),
                                                          server::plugins::PluginHostOptions{});
    if (absl::Status s = host_->LoadFile(TF_TICKET_PLUGIN); !s.ok()) {
      Fail(std::string(s.message()));
    }
    void* module = dlopen(TF_TICKET_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    if (module == nullptr) Fail(dlerror());
    void* symbol = dlsym(module, TF_PLUGIN_ENTRY_SYMBOL);
    if (symbol == nullptr) Fail("no " TF_PLUGIN_ENTRY_SYMBOL);
    auto entry = reinterpret_cast<tf_plugin_entry_fn>(*static_cast<const void* const*>(symbol));
    const tf_plugin_descriptor* descriptor = entry();
    std::string error;
    tf_sink sink = sdk::testing::FakeHost::StringSink(&error);
    if (descriptor->init(fake_.api(), "{}", 2, &instance_, &sink) != TF_OK) Fail(error);
    for (size_t i = 0; i < descriptor->action_count; ++i) {
      if (kAction == descriptor->actions[i]->type) action_ = descriptor->actions[i];
    }
    if (action_ == nullptr) Fail("no action ticket.add_tags");
  }

  [[noreturn]] static void Fail(const std::string& why) {
    std::fprintf(stderr, "cannot load %s: %s\n", TF_TICKET_PLUGIN, why.c_str());
    std::abort();
  }

  sdk::testing::FakeHost fake_;
  std::unique_ptr<server::plugins::PluginHost> host_;
  tf_plugin_instance* instance_ = nullptr;
  const tf_action_descriptor* action_ = nullptr;
};

// The patch must add exactly "vip".
bool AddsVip(const Json& result) {
  auto patch = result.find("ticket_patch");
  if (patch == result.end()) return false;
  auto add = patch->find("add_tags");
  return add != patch->end() && add->size() == 1 && (*add)[0] == "vip";
}

void Check(benchmark::State& state, bool ok) {
  if (!ok) state.SkipWithError("ticket.add_tags did not return the expected patch");
}

tf_str Str(std::string_view s) { return tf_str{s.data(), s.size()}; }

void BM_HostExecute(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  auto execution = f.fake().NewExecution({"default", "ticket", "T100042"});
  server::plugins::ExecuteRequest request;
  request.ctx = execution->ctx();
  request.params_json = kParams;
  request.ticket_json = kTicket;
  request.event_json = kEvent;
  request.operation_id = "op-1";
  bool ok = true;
  for (auto _ : state) {
    server::plugins::ExecuteOutcome out = f.host().Execute(kAction, request);
    ok &= out.code == server::plugins::ResultCode::kOk && AddsVip(out.result);
    benchmark::DoNotOptimize(out);
  }
  Check(state, ok);
  state.SetItemsProcessed(state.iterations());
}

void BM_RawAbiCall(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  auto execution = f.fake().NewExecution({"default", "ticket", "T100042"});
  tf_execute_request request{};
  request.struct_size = sizeof(request);
  request.attempt = 1;
  request.ctx = execution->ctx();
  request.params_json = Str(kParams);
  request.ticket_json = Str(kTicket);
  request.event_json = Str(kEvent);
  request.operation_id = Str("op-1");
  std::string result;
  tf_sink sink = sdk::testing::FakeHost::StringSink(&result);
  const tf_execute_fn execute = f.action().execute;
  tf_plugin_instance* instance = f.instance();
  int32_t code = TF_OK;
  for (auto _ : state) {
    result.clear();
    code |= execute(instance, &request, &sink);
    benchmark::DoNotOptimize(result.data());
  }
  Check(state, code == TF_OK && AddsVip(Json::parse(result)));
  state.SetItemsProcessed(state.iterations());
}

// The plugin's action class and the SDK's Context, as the plugin's own
// trampoline uses them, without crossing the C ABI.
void BM_DirectTextCall(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  const sdk::Host host(f.fake().api());
  tf_execute_request request{};
  request.struct_size = sizeof(request);
  request.params_json = Str(kParams);
  request.ticket_json = Str(kTicket);
  const plugins::ticket::AddTags action;
  std::string result;
  for (auto _ : state) {
    sdk::Context ctx(host, request);
    Json params = sdk::Context::ParseJson(request.params_json, "params");
    Json ticket = sdk::Context::ParseJson(request.ticket_json, "ticket");
    result = action.Execute(ctx, params, ticket).json().dump();
    benchmark::DoNotOptimize(result.data());
  }
  Check(state, AddsVip(Json::parse(result)));
  state.SetItemsProcessed(state.iterations());
}

void BM_DirectCall(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  const sdk::Host host(f.fake().api());
  const tf_execute_request request{};
  const Json params = Json::parse(kParams);
  const Json ticket = Json::parse(kTicket);
  const plugins::ticket::AddTags action;
  // One context for all calls: add_tags does not use it.
  sdk::Context ctx(host, request);
  bool ok = true;
  for (auto _ : state) {
    sdk::Result result = action.Execute(ctx, params, ticket);
    ok &= result.code() == sdk::Code::kOk;
    benchmark::DoNotOptimize(result);
  }
  Check(state, ok && AddsVip(action.Execute(ctx, params, ticket).json()));
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_HostExecute);
BENCHMARK(BM_RawAbiCall);
BENCHMARK(BM_DirectTextCall);
BENCHMARK(BM_DirectCall);

// The console output, followed by calls/s and the ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal (a custom display reporter does not follow
  // --benchmark_color).
  RatioReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      names_.push_back(run.benchmark_name());
      cpu_ns_[run.benchmark_name()] = run.GetAdjustedCPUTime();
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    if (names_.empty()) return;
    auto time = [&](const char* name) {
      auto it = cpu_ns_.find(name);
      return it == cpu_ns_.end() ? 0.0 : it->second;
    };
    const double direct = time("BM_DirectCall");
    const double raw = time("BM_RawAbiCall");
    std::printf("\n%-20s %14s %16s %16s\n", "", "calls/s", "vs direct call", "vs raw ABI call");
    for (const std::string& name : names_) {
      const double t = cpu_ns_[name];
      std::printf("%-20s %14.0f %16s %16s\n", name.c_str(), 1e9 / t, Slower(t, direct).c_str(),
                  Slower(t, raw).c_str());
    }
  }

 private:
  static std::string Slower(double t, double base) {
    if (base <= 0) return "-";
    char text[32];
    std::snprintf(text, sizeof(text), "x%.2f", t / base);
    return text;
  }

  std::vector<std::string> names_;
  std::map<std::string, double> cpu_ns_;
};

}  // namespace
}  // namespace triggerfish::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  triggerfish::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
