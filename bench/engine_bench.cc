// Evaluation alone: one event through engine::TriggerCycle::Run against 10,
// 1,000 and 10,000 rules of the realistic mix of bench/rule_mix.h, on one
// thread, with no store and no gRPC.
//
//   BM_TriggerCycle/N        the engine: rules grouped by event type, the
//                            equality-guard index, the full cycle (restart
//                            after each fired rule), fast path (no explain).
//   BM_WalkWithoutIndex/N    baseline: every rule of RuleSet::rules() that
//                            listens to the event's type has its condition
//                            evaluated with engine::Evaluate, one pass.
//   BM_TriggerCycleExplain/1000
//                            the cycle as EvaluateEvent runs it (explain and
//                            dry run): every rule explained.
//
// Each iteration evaluates the next of 256 generated events (all five event
// types), so figures are averages over the event mix. Counters:
//   items_per_second  events per second
//   per_rule          time per event / number of rules of the tenant
//   listening         rules listening to the event's type (average)
//   candidates        rules the index leaves in the cycle's first pass
//   evaluated         conditions evaluated per event (average)
//   fired             rules fired (cycle) or holding (walk) per event
// After the runs, the index's gain (walk time / cycle time) is printed for
// each rule count.
//
// Before measuring, every event is checked to fire exactly the rules the
// walk finds holding (the index must only skip rules that cannot fire).

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bench/rule_mix.h"
#include "server/engine/action.h"
#include "server/engine/compiled_rule.h"
#include "server/engine/rule_set.h"
#include "server/engine/trigger_cycle.h"

namespace triggerfish::bench {
namespace {

namespace engine = server::engine;

constexpr int kEventCount = 256;

const engine::EmptyActionCatalog& Catalog() {
  static const engine::EmptyActionCatalog catalog;
  return catalog;
}

int64_t MicrosOf(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1'000'000 + ts.nanos() / 1000;
}

// The baseline: evaluates the condition of every enabled rule listening to
// the event's type, in position order, without the index. Appends the ids of
// the rules that hold to `holding` when it is not null; returns how many
// conditions were evaluated.
int64_t WalkWithoutIndex(const engine::RuleSet& set, const v1::Event& event,
                         std::vector<std::string>* holding, int64_t* holds) {
  engine::EvalInput input;
  input.event = &event;
  input.ticket = &event.ticket();
  input.previous = event.has_previous() ? &event.previous() : nullptr;
  input.now_micros = MicrosOf(event.occurred_at());
  int64_t evaluated = 0;
  for (const auto& rule : set.rules()) {
    if (!rule->enabled() || !rule->ListensTo(event.type())) continue;
    ++evaluated;
    if (!rule->condition || engine::Evaluate(*rule->condition, input)) {
      ++*holds;
      if (holding != nullptr) holding->push_back(rule->id());
    }
  }
  return evaluated;
}

// One pass over the candidates the index leaves, without the cycle's
// restarts: what the index alone costs. Returns the conditions evaluated.
int64_t IndexedPass(const engine::RuleSet& set, const v1::Event& event, engine::RuleBitset* bits,
                    int64_t* holds) {
  const engine::TypeRules* type_rules = set.ForEventType(event.type());
  if (type_rules == nullptr) return 0;
  engine::EvalInput input;
  input.event = &event;
  input.ticket = &event.ticket();
  input.previous = event.has_previous() ? &event.previous() : nullptr;
  input.now_micros = MicrosOf(event.occurred_at());
  type_rules->index.Candidates(input, bits);
  int64_t evaluated = 0;
  for (size_t i = bits->NextSet(0); i < bits->size(); i = bits->NextSet(i + 1)) {
    const engine::CompiledRule& rule = *type_rules->rules[i];
    ++evaluated;
    if (!rule.condition || engine::Evaluate(*rule.condition, input)) ++*holds;
  }
  return evaluated;
}

struct Corpus {
  std::unique_ptr<engine::RuleSet> rules;
  std::vector<v1::Event> events;
  double listening = 0;   // average rules listening to an event's type
  double candidates = 0;  // average rules the index leaves in the first pass
};

// Rules the index leaves as candidates for `event` in the first pass.
int64_t FirstPassCandidates(const engine::RuleSet& set, const v1::Event& event) {
  const engine::TypeRules* type_rules = set.ForEventType(event.type());
  if (type_rules == nullptr) return 0;
  engine::EvalInput input;
  input.event = &event;
  input.ticket = &event.ticket();
  input.previous = event.has_previous() ? &event.previous() : nullptr;
  input.now_micros = MicrosOf(event.occurred_at());
  engine::RuleBitset bits;
  type_rules->index.Candidates(input, &bits);
  int64_t n = 0;
  for (size_t i = bits.NextSet(0); i < bits.size(); i = bits.NextSet(i + 1)) ++n;
  return n;
}

Corpus Build(int rule_count) {
  Corpus corpus;
  engine::RuleLimits limits;
  std::vector<std::shared_ptr<const engine::CompiledRule>> compiled;
  int64_t predicates = 0;
  for (const v1::Rule& rule : GenerateRules(rule_count)) {
    server::Violations violations;
    auto c = engine::CompileRule(rule, "rule.", limits, Catalog(), &violations);
    if (c == nullptr) {
      std::fprintf(stderr, "generated rule %s does not compile: %s: %s\n", rule.id().c_str(),
                   violations.items()[0].field.c_str(), violations.items()[0].description.c_str());
      std::abort();
    }
    predicates += CountPredicates(rule.condition());
    compiled.push_back(std::move(c));
  }
  corpus.rules = std::make_unique<engine::RuleSet>(std::move(compiled));
  corpus.events = GenerateEvents(kEventCount);

  // The index must not change what fires: with no actions the ticket never
  // changes, so the cycle fires exactly the rules that hold, in order.
  engine::TriggerCycle cycle(Catalog());
  int64_t listening = 0;
  int64_t candidates = 0;
  for (const v1::Event& event : corpus.events) {
    candidates += FirstPassCandidates(*corpus.rules, event);
    std::vector<std::string> holding;
    int64_t holds = 0;
    listening += WalkWithoutIndex(*corpus.rules, event, &holding, &holds);
    engine::CycleResult result = cycle.Run(*corpus.rules, event, {.tenant = "bench"});
    std::vector<std::string> fired;
    for (const auto& f : result.fired_rules) fired.push_back(f.rule_id());
    if (fired != holding) {
      std::fprintf(stderr, "event %s: the cycle fired %zu rules, %zu hold\n", event.id().c_str(),
                   fired.size(), holding.size());
      std::abort();
    }
  }
  corpus.listening = static_cast<double>(listening) / kEventCount;
  corpus.candidates = static_cast<double>(candidates) / kEventCount;
  std::fprintf(stderr,
               "%d rules: %.1f predicates per rule; per event %.1f listening, %.1f candidates "
               "after the index\n",
               rule_count, static_cast<double>(predicates) / rule_count, corpus.listening,
               corpus.candidates);
  return corpus;
}

const Corpus& CorpusOf(int rule_count) {
  static std::map<int, Corpus> cache;
  auto it = cache.find(rule_count);
  if (it == cache.end()) it = cache.emplace(rule_count, Build(rule_count)).first;
  return it->second;
}

void SetCounters(benchmark::State& state, int rule_count, const Corpus& corpus, int64_t evaluated,
                 int64_t fired) {
  const double iterations = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
  // An inverted rate: seconds per (event x rule), printed with its unit.
  state.counters["per_rule"] = benchmark::Counter(
      iterations * rule_count, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["listening"] = corpus.listening;
  state.counters["candidates"] = corpus.candidates;
  state.counters["evaluated"] = static_cast<double>(evaluated) / iterations;
  state.counters["fired"] = static_cast<double>(fired) / iterations;
}

void RunCycle(benchmark::State& state, bool explain) {
  const int rule_count = static_cast<int>(state.range(0));
  const Corpus& corpus = CorpusOf(rule_count);
  engine::TriggerCycle cycle(Catalog());
  engine::CycleOptions options{.tenant = "bench", .explain = explain, .dry_run = explain};
  size_t next = 0;
  int64_t evaluated = 0;
  int64_t fired = 0;
  for (auto _ : state) {
    const v1::Event& event = corpus.events[next++ % corpus.events.size()];
    engine::CycleResult result = cycle.Run(*corpus.rules, event, options);
    evaluated += result.conditions_evaluated;
    fired += static_cast<int64_t>(result.fired_rules.size());
    benchmark::DoNotOptimize(result);
  }
  SetCounters(state, rule_count, corpus, evaluated, fired);
}

void BM_TriggerCycle(benchmark::State& state) { RunCycle(state, /*explain=*/false); }
void BM_TriggerCycleExplain(benchmark::State& state) { RunCycle(state, /*explain=*/true); }

void BM_WalkWithoutIndex(benchmark::State& state) {
  const int rule_count = static_cast<int>(state.range(0));
  const Corpus& corpus = CorpusOf(rule_count);
  size_t next = 0;
  int64_t evaluated = 0;
  int64_t holds = 0;
  for (auto _ : state) {
    const v1::Event& event = corpus.events[next++ % corpus.events.size()];
    evaluated += WalkWithoutIndex(*corpus.rules, event, nullptr, &holds);
    benchmark::DoNotOptimize(holds);
  }
  SetCounters(state, rule_count, corpus, evaluated, holds);
}

void BM_IndexedPass(benchmark::State& state) {
  const int rule_count = static_cast<int>(state.range(0));
  const Corpus& corpus = CorpusOf(rule_count);
  engine::RuleBitset bits;
  size_t next = 0;
  int64_t evaluated = 0;
  int64_t holds = 0;
  for (auto _ : state) {
    const v1::Event& event = corpus.events[next++ % corpus.events.size()];
    evaluated += IndexedPass(*corpus.rules, event, &bits, &holds);
    benchmark::DoNotOptimize(holds);
  }
  SetCounters(state, rule_count, corpus, evaluated, holds);
}

BENCHMARK(BM_TriggerCycle)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_WalkWithoutIndex)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_IndexedPass)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_TriggerCycleExplain)->Arg(1000);

// The console output, followed by the index's gain per rule count.
class GainReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal (a custom display reporter does not follow
  // --benchmark_color).
  GainReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      const std::string name = run.benchmark_name();
      const size_t slash = name.find('/');
      if (slash == std::string::npos) continue;
      const std::string family = name.substr(0, slash);
      const int rules = std::atoi(name.c_str() + slash + 1);
      if (family == "BM_TriggerCycle") cycle_[rules] = run.GetAdjustedCPUTime();
      if (family == "BM_WalkWithoutIndex") walk_[rules] = run.GetAdjustedCPUTime();
      if (family == "BM_IndexedPass") pass_[rules] = run.GetAdjustedCPUTime();
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::set<int> counts;
    for (const auto* m : {&cycle_, &walk_, &pass_}) {
      for (const auto& [rules, time] : *m) counts.insert(rules);
    }
    if (counts.empty()) return;
    std::printf(
        "\nCPU time per event, as ratios:\n"
        "  rules   walk/cycle (index gain, cycle)   walk/pass (index gain, one pass)   "
        "cycle/pass (restarts)\n");
    for (int rules : counts) {
      std::printf("  %5d   %30s   %32s   %21s\n", rules, Ratio(walk_, cycle_, rules).c_str(),
                  Ratio(walk_, pass_, rules).c_str(), Ratio(cycle_, pass_, rules).c_str());
    }
  }

 private:
  static std::string Ratio(const std::map<int, double>& a, const std::map<int, double>& b,
                           int rules) {
    auto x = a.find(rules);
    auto y = b.find(rules);
    if (x == a.end() || y == b.end() || y->second <= 0) return "-";
    char text[32];
    std::snprintf(text, sizeof(text), "x%.2f", x->second / y->second);
    return text;
  }

  std::map<int, double> cycle_;
  std::map<int, double> walk_;
  std::map<int, double> pass_;
};

}  // namespace
}  // namespace triggerfish::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  triggerfish::bench::GainReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
