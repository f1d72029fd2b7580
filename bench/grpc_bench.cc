// gRPC load: EventService.EvaluateEvent against 1,000 rules, as a ratio to
// the trivial grpc.health.v1.Health/Check served by the same server in the
// same run.
//
// Starts the real server in-process (Server::Start on 127.0.0.1:0 with a
// SQLite store in a fresh temporary directory), creates the rules of
// bench/rule_mix.h through RuleService.CreateRule, then for each RPC runs
// --threads client threads for --seconds, each thread on its own channel
// (a local subchannel pool, so each has its own HTTP/2 connection), issuing
// blocking unary calls back to back. Prints calls/s, p50/p99 latency and the
// throughput ratio EvaluateEvent / Check.
//
//   build/bench/grpc_bench [--seconds 5] [--threads 8] [--rules 1000] [--explain full|summary|none]
//
// Client and server share the machine's cores, so the figures are those of
// a loaded box, not of the server alone; the ratio is what to compare.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <CLI/CLI.hpp>

#include "bench/rule_mix.h"
#include "bench/temp_dir.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server/server.h"
#include "spdlog/spdlog.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kEventCount = 256;

struct Options {
  double seconds = 5;
  int threads = 8;
  int rules = 1000;
  // EvaluateEvent's explain level: full, summary or none.
  std::string explain = "full";
};

// A channel of its own: a local subchannel pool and a distinct argument
// keep gRPC from sharing one connection between the client threads.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& target, int index) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("triggerfish.bench.channel", index);
  args.SetMaxReceiveMessageSize(-1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

struct LoadResult {
  int64_t calls = 0;
  int64_t errors = 0;
  double seconds = 0;
  std::vector<int64_t> latencies_ns;  // sorted

  double CallsPerSecond() const { return static_cast<double>(calls) / seconds; }
  double PercentileMicros(double p) const {
    if (latencies_ns.empty()) return 0;
    size_t i = static_cast<size_t>(p * static_cast<double>(latencies_ns.size() - 1));
    return static_cast<double>(latencies_ns[i]) / 1000.0;
  }
};

// Runs `call(thread_index, call_index)` (which returns whether it succeeded)
// back to back on `threads` threads for `seconds`, after a short warm-up.
template <typename Call>
LoadResult RunLoad(int threads, double seconds, Call call) {
  struct PerThread {
    std::vector<int64_t> latencies_ns;
    int64_t errors = 0;
  };
  std::vector<PerThread> per_thread(threads);
  std::latch start(threads + 1);
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      PerThread& mine = per_thread[t];
      mine.latencies_ns.reserve(1 << 16);
      start.arrive_and_wait();
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        const auto t0 = Clock::now();
        const bool ok = call(t, i);
        const auto t1 = Clock::now();
        if (!measuring.load(std::memory_order_relaxed)) continue;
        if (!ok) ++mine.errors;
        mine.latencies_ns.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
      }
    });
  }
  start.arrive_and_wait();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // warm-up
  measuring = true;
  const auto begin = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  measuring = false;
  const auto end = Clock::now();
  stop = true;
  for (auto& w : workers) w.join();

  LoadResult result;
  result.seconds = std::chrono::duration<double>(end - begin).count();
  for (PerThread& p : per_thread) {
    result.errors += p.errors;
    result.latencies_ns.insert(result.latencies_ns.end(), p.latencies_ns.begin(),
                               p.latencies_ns.end());
  }
  result.calls = static_cast<int64_t>(result.latencies_ns.size());
  std::sort(result.latencies_ns.begin(), result.latencies_ns.end());
  return result;
}

void Print(const char* name, const LoadResult& r) {
  std::printf("%-28s %10.0f calls/s   p50 %9.1f us   p99 %9.1f us   (%lld calls, %lld errors)\n",
              name, r.CallsPerSecond(), r.PercentileMicros(0.50), r.PercentileMicros(0.99),
              static_cast<long long>(r.calls), static_cast<long long>(r.errors));
}

// A fresh directory under /tmp, removed with everything in it.
int Run(const Options& options) {
  spdlog::set_level(spdlog::level::warn);
  TempDir dir("tf-grpc-bench");  // outlives the server
  if (dir.path().empty()) {
    std::perror("mkdtemp");
    return 1;
  }

  server::ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.admin_listen = "127.0.0.1:0";  // metrics on, as in production; any free port
  config.store_path = (dir.path() / "bench.db").string();
  config.log_level = "warn";
  config.limits.max_rules_per_tenant = std::max(config.limits.max_rules_per_tenant, options.rules);
  auto started = server::Server::Start(config);
  if (!started.ok()) {
    std::fprintf(stderr, "server did not start: %s\n", started.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<server::Server> server = std::move(*started);
  const std::string target = "127.0.0.1:" + std::to_string(server->port());

  // The rules, through the API as a client would create them.
  {
    auto rule_stub = v1::RuleService::NewStub(NewChannel(target, -1));
    const auto begin = Clock::now();
    for (const v1::Rule& rule : GenerateRules(options.rules)) {
      grpc::ClientContext context;
      v1::CreateRuleRequest request;
      *request.mutable_rule() = rule;
      request.set_rule_id(rule.id());
      v1::Rule created;
      grpc::Status status = rule_stub->CreateRule(&context, request, &created);
      if (!status.ok()) {
        std::fprintf(stderr, "CreateRule %s: %s\n", rule.id().c_str(),
                     status.error_message().c_str());
        return 1;
      }
    }
    std::printf("created %d rules in %.1f s (CreateRule, one at a time)\n", options.rules,
                std::chrono::duration<double>(Clock::now() - begin).count());
  }

  const std::vector<v1::Event> events = GenerateEvents(kEventCount);
  std::vector<v1::EvaluateEventRequest> requests(events.size());
  const v1::ExplainLevel explain = options.explain == "none"      ? v1::EXPLAIN_LEVEL_NONE
                                   : options.explain == "summary" ? v1::EXPLAIN_LEVEL_SUMMARY
                                                                  : v1::EXPLAIN_LEVEL_FULL;
  for (size_t i = 0; i < events.size(); ++i) {
    *requests[i].mutable_event() = events[i];
    requests[i].set_explain(explain);
  }

  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>> health_stubs;
  std::vector<std::unique_ptr<v1::EventService::Stub>> event_stubs;
  for (int t = 0; t < options.threads; ++t) {
    health_stubs.push_back(grpc::health::v1::Health::NewStub(NewChannel(target, 2 * t)));
    event_stubs.push_back(v1::EventService::NewStub(NewChannel(target, 2 * t + 1)));
  }

  // What one EvaluateEvent answer looks like, averaged over the events.
  {
    double bytes = 0, explanations = 0, fired = 0;
    for (const auto& request : requests) {
      grpc::ClientContext context;
      v1::EvaluateEventResponse response;
      grpc::Status status = event_stubs[0]->EvaluateEvent(&context, request, &response);
      if (!status.ok()) {
        std::fprintf(stderr, "EvaluateEvent: %s\n", status.error_message().c_str());
        return 1;
      }
      bytes += static_cast<double>(response.ByteSizeLong());
      explanations += response.explanations_size();
      fired += response.fired_rules_size();
    }
    const double n = static_cast<double>(requests.size());
    std::printf(
        "EvaluateEvent response: %.0f bytes, %.0f rule explanations, %.1f fired rules (average "
        "over %zu events)\n",
        bytes / n, explanations / n, fired / n, requests.size());
  }
  std::printf("%d client threads, one channel each, %.1f s per RPC\n\n", options.threads,
              options.seconds);

  LoadResult check = RunLoad(options.threads, options.seconds, [&](int t, int64_t) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    return health_stubs[t]->Check(&context, request, &response).ok() &&
           response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  });
  Print("grpc.health.v1.Health/Check", check);

  LoadResult evaluate = RunLoad(options.threads, options.seconds, [&](int t, int64_t i) {
    grpc::ClientContext context;
    v1::EvaluateEventResponse response;
    const auto& request = requests[(static_cast<size_t>(t) * 37 + i) % requests.size()];
    return event_stubs[t]->EvaluateEvent(&context, request, &response).ok();
  });
  Print("EventService/EvaluateEvent", evaluate);

  std::printf("\nEvaluateEvent / Check throughput: %.3f  (Check is %.1fx faster)\n",
              evaluate.CallsPerSecond() / check.CallsPerSecond(),
              check.CallsPerSecond() / evaluate.CallsPerSecond());

  server->Shutdown(std::chrono::milliseconds(1000));
  server->Wait();
  server.reset();
  return check.errors + evaluate.errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace triggerfish::bench

int main(int argc, char** argv) {
  triggerfish::bench::Options options;
  CLI::App app{"gRPC load: EvaluateEvent against generated rules vs Health/Check"};
  app.add_option("--seconds", options.seconds, "Measured seconds per RPC")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--threads", options.threads, "Concurrent client threads (one channel each)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--rules", options.rules, "Rules to create")
      ->check(CLI::Range(1, 20000))
      ->capture_default_str();
  app.add_option("--explain", options.explain, "EvaluateEvent explain level")
      ->check(CLI::IsMember({"full", "summary", "none"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return triggerfish::bench::Run(options);
}
