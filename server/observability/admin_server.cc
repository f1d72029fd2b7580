#include "server/observability/admin_server.h"

#include <chrono>
#include <exception>

#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"
#include "server/common/strings.h"
#include "server/observability/metrics.h"
#include "server/store/store.h"
#include "spdlog/spdlog.h"

namespace triggerfish::server::observability {
namespace {

prometheus::MetricFamily Gauge(std::string name, std::string help) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = prometheus::MetricType::Gauge;
  return family;
}

void AddSample(prometheus::MetricFamily* family, double value, std::string label = "",
               std::string label_value = "") {
  prometheus::ClientMetric metric;
  if (!label.empty()) metric.label.push_back({std::move(label), std::move(label_value)});
  metric.gauge.value = value;
  family->metric.push_back(std::move(metric));
}

// The store's backlog, counted at each scrape.
class BacklogCollector final : public prometheus::Collectable {
 public:
  explicit BacklogCollector(store::Store* store) : store_(store) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    auto backlog = store_->CountBacklog(now_us);
    if (!backlog.ok()) {
      // A scrape without these gauges is better than a failed scrape.
      spdlog::warn("metrics: cannot count the backlog: {}",
                   std::string(backlog.status().message()));
      return {};
    }
    auto outbox = Gauge("triggerfish_outbox_depth",
                        "Deferred actions in the outbox, by status: queued (waiting for their "
                        "first or next attempt) or running (claimed by a worker).");
    AddSample(&outbox, static_cast<double>(backlog->deferred_queued), "status", "queued");
    AddSample(&outbox, static_cast<double>(backlog->deferred_running), "status", "running");
    auto due = Gauge("triggerfish_timers_due",
                     "Durable timers whose due time has passed and that have not fired yet.");
    AddSample(&due, static_cast<double>(backlog->timers_due));
    auto scheduled = Gauge("triggerfish_timers_scheduled", "Durable timers stored, due or not.");
    AddSample(&scheduled, static_cast<double>(backlog->timers_total));
    return {std::move(outbox), std::move(due), std::move(scheduled)};
  }

 private:
  store::Store* store_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(const std::string& address,
                                                                Metrics* metrics,
                                                                store::Store* store) {
  std::unique_ptr<AdminServer> server(new AdminServer());
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(address, /*num_threads=*/2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        StrCat("cannot serve the admin HTTP endpoint on ", address, ": ", e.what()));
  }
  const std::vector<int> ports = server->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(StrCat("cannot serve the admin HTTP endpoint on ", address));
  }
  server->port_ = ports.front();
  server->exposer_->RegisterCollectable(metrics->registry());
  server->backlog_ = std::make_shared<BacklogCollector>(store);
  server->exposer_->RegisterCollectable(server->backlog_);
  return server;
}

AdminServer::~AdminServer() = default;

}  // namespace triggerfish::server::observability
