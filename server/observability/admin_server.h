#pragma once

// The admin HTTP server of triggerfishd: Prometheus metrics at /metrics
// (prometheus-cpp's embedded civetweb), apart from the gRPC port so that a
// scraper needs no gRPC and no credentials of the API.
//
//   auto admin = AdminServer::Start("0.0.0.0:9090", &metrics, store);
//   if (!admin.ok()) ...;  // the address could not be bound
//   (*admin)->port();      // the bound port (useful with port 0)
//
// Besides `metrics`, a scrape reads the store's backlog (deferred actions
// queued and running, timers due and scheduled) with a few indexed counts,
// so those gauges are exact at scrape time and cost nothing in between.

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace prometheus {
class Exposer;
class Collectable;
}  // namespace prometheus

namespace triggerfish::server {
namespace store {
class Store;
}

namespace observability {

class Metrics;

class AdminServer {
 public:
  // Serves until destroyed. `address` is "ip:port" (port 0 picks a free
  // one). `metrics` and `store` must outlive the server. UNAVAILABLE when the
  // address cannot be bound.
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(const std::string& address,
                                                            Metrics* metrics, store::Store* store);
  ~AdminServer();

  int port() const { return port_; }

 private:
  AdminServer() = default;

  std::shared_ptr<prometheus::Collectable> backlog_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace observability
}  // namespace triggerfish::server
