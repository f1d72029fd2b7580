// Metrics: the series each recording call creates, read back through
// prometheus-cpp's own text exposition (what /metrics serves).

#include "server/observability/metrics.h"

#include <map>
#include <sstream>

#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace triggerfish::server::observability {
namespace {

std::string Exposition(const Metrics& metrics) {
  return prometheus::TextSerializer().Serialize(metrics.registry()->Collect());
}

// The value of the sample line starting with `series` (name{labels} exactly
// as exposed, labels sorted by name), or -1 when absent.
double Sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

TEST(MetricsTest, RpcCallsByServiceMethodAndCode) {
  Metrics metrics;
  static const char kMethod[] = "/triggerfish.v1.EventService/PublishEvent";
  Metrics::Rpc* rpc = metrics.ForRpc(kMethod);
  EXPECT_EQ(metrics.ForRpc(kMethod), rpc);  // resolved once
  metrics.RpcStarted(rpc);
  metrics.RpcHandled(rpc, 0, 0.002);
  metrics.RpcStarted(rpc);
  metrics.RpcHandled(rpc, 3, 0.0001);
  metrics.RpcHandled(rpc, 99, 0.0001);  // not a code: UNKNOWN
  const std::string text = Exposition(metrics);
  const std::string labels = "method=\"PublishEvent\",service=\"triggerfish.v1.EventService\"";
  EXPECT_EQ(Sample(text, "triggerfish_grpc_server_started_total{" + labels + "}"), 2) << text;
  EXPECT_EQ(Sample(text, "triggerfish_grpc_server_handled_total{code=\"OK\"," + labels + "}"), 1);
  EXPECT_EQ(Sample(text, "triggerfish_grpc_server_handled_total{code=\"INVALID_ARGUMENT\"," +
                             labels + "}"),
            1);
  EXPECT_EQ(Sample(text, "triggerfish_grpc_server_handled_total{code=\"UNKNOWN\"," + labels + "}"),
            1);
  EXPECT_EQ(
      Sample(text, "triggerfish_grpc_server_handling_seconds_count{code=\"OK\"," + labels + "}"),
      1);
  EXPECT_EQ(Sample(text, "triggerfish_grpc_server_handling_seconds_bucket{code=\"OK\"," + labels +
                             ",le=\"0.001\"}"),
            0);
  EXPECT_EQ(Sample(text, "triggerfish_grpc_server_handling_seconds_bucket{code=\"OK\"," + labels +
                             ",le=\"0.0025\"}"),
            1);
}

TEST(MetricsTest, UnknownMethodKeepsItsName) {
  Metrics metrics;
  static const char kUnknown[] = "unknown";
  metrics.RpcHandled(metrics.ForRpc(kUnknown), 12, 0.001);
  EXPECT_EQ(Sample(Exposition(metrics),
                   "triggerfish_grpc_server_handled_total{code="
                   "\"UNIMPLEMENTED\",method=\"unknown\",service="
                   "\"unknown\"}"),
            1);
}

TEST(MetricsTest, EventOutcomesStartAtZero) {
  Metrics metrics;
  metrics.EventEvaluated(EventSource::kApi, EventOutcome::kCommitted);
  metrics.EventEvaluated(EventSource::kApi, EventOutcome::kCommitted);
  metrics.EventEvaluated(EventSource::kTimer, EventOutcome::kDuplicate);
  const std::string text = Exposition(metrics);
  EXPECT_EQ(Sample(text, "triggerfish_events_total{outcome=\"committed\",source=\"api\"}"), 2);
  EXPECT_EQ(Sample(text, "triggerfish_events_total{outcome=\"duplicate\",source=\"timer\"}"), 1);
  // Every combination exists from the start, so rate() sees the first one.
  EXPECT_EQ(Sample(text, "triggerfish_events_total{outcome=\"rejected\",source=\"api\"}"), 0);
  EXPECT_EQ(Sample(text, "triggerfish_events_total{outcome=\"unchanged\",source=\"automation\"}"),
            0);
}

TEST(MetricsTest, ActionsByPluginActionAndStatus) {
  Metrics metrics;
  metrics.ActionExecuted("ticket.add_tags", ActionStatus::kSucceeded);
  metrics.ActionExecuted("ticket.add_tags", ActionStatus::kSucceeded);
  metrics.ActionExecuted("email.send", ActionStatus::kQueued);
  metrics.ActionExecuted("email.send", ActionStatus::kRetrying);
  metrics.ActionDuration("email.send", /*deferred=*/true, 0.3);
  metrics.ActionDuration("ticket.add_tags", /*deferred=*/false, 0.00002);
  const std::string text = Exposition(metrics);
  EXPECT_EQ(Sample(text,
                   "triggerfish_action_executions_total{action=\"add_tags\",plugin="
                   "\"ticket\",status=\"succeeded\"}"),
            2)
      << text;
  EXPECT_EQ(Sample(text,
                   "triggerfish_action_executions_total{action=\"send\",plugin=\"email\","
                   "status=\"queued\"}"),
            1);
  EXPECT_EQ(Sample(text,
                   "triggerfish_action_executions_total{action=\"send\",plugin=\"email\","
                   "status=\"retrying\"}"),
            1);
  EXPECT_EQ(Sample(text,
                   "triggerfish_action_duration_seconds_count{action=\"send\",mode="
                   "\"deferred\",plugin=\"email\"}"),
            1);
  EXPECT_EQ(Sample(text,
                   "triggerfish_action_duration_seconds_bucket{action=\"add_tags\",mode="
                   "\"inline\",plugin=\"ticket\",le=\"0.0001\"}"),
            1);
  // No series for a mode an action never ran in.
  EXPECT_EQ(Sample(text,
                   "triggerfish_action_duration_seconds_count{action=\"send\",mode="
                   "\"inline\",plugin=\"email\"}"),
            -1);
}

TEST(MetricsTest, RulesFiredPerTenantAndRuleUpToTheCap) {
  Metrics metrics;
  metrics.RuleFired("acme", "vip");
  metrics.RuleFired("acme", "vip");
  metrics.RuleFired("globex", "vip");
  for (size_t i = 0; i < kMaxRuleSeries + 5; ++i) metrics.RuleFired("big", std::to_string(i));
  const std::string text = Exposition(metrics);
  EXPECT_EQ(Sample(text, "triggerfish_rules_fired_total{rule=\"vip\",tenant=\"acme\"}"), 2);
  EXPECT_EQ(Sample(text, "triggerfish_rules_fired_total{rule=\"vip\",tenant=\"globex\"}"), 1);
  // Two series above plus kMaxRuleSeries - 2 of tenant big, then the rest
  // under _other.
  EXPECT_EQ(Sample(text, "triggerfish_rules_fired_total{rule=\"0\",tenant=\"big\"}"), 1);
  EXPECT_EQ(Sample(text, "triggerfish_rules_fired_total{rule=\"" +
                             std::to_string(kMaxRuleSeries - 2) + "\",tenant=\"big\"}"),
            -1);
  EXPECT_EQ(Sample(text, "triggerfish_rules_fired_total{rule=\"_other\",tenant=\"big\"}"), 7);
  // A rule counted before the cap keeps its own series.
  metrics.RuleFired("acme", "vip");
  EXPECT_EQ(Sample(Exposition(metrics),
                   "triggerfish_rules_fired_total{rule=\"vip\",tenant="
                   "\"acme\"}"),
            3);
}

TEST(MetricsTest, GroupCommits) {
  Metrics metrics;
  metrics.CommitDone(12, 0.004);
  metrics.CommitDone(1, 0.0004);
  const std::string text = Exposition(metrics);
  EXPECT_EQ(Sample(text, "triggerfish_store_commit_duration_seconds_count"), 2) << text;
  EXPECT_EQ(Sample(text, "triggerfish_store_commit_batch_events_sum"), 13);
  EXPECT_EQ(Sample(text, "triggerfish_store_commit_batch_events_bucket{le=\"8\"}"), 1);
  EXPECT_EQ(Sample(text, "triggerfish_store_commit_batch_events_bucket{le=\"16\"}"), 2);
}

}  // namespace
}  // namespace triggerfish::server::observability
