#pragma once

// grpc.health.v1.Health for the server as a whole (service name ""): Check
// and Watch, SERVING once the server is ready, NOT_SERVING from the start of
// the drain.
//
// It replaces gRPC's default health service for one reason: at shutdown the
// default service keeps Watch streams open, so every client that watches
// health (gRPC client-side health checking, some proxies) holds the server's
// drain for the whole grace period. Shutdown() here sends NOT_SERVING to
// every watcher and then ends its stream (UNAVAILABLE), so the drain lasts
// only as long as real calls do.
//
//   HealthService health;
//   builder.RegisterService(&health);
//   ... health.SetServing(true);
//   health.Shutdown();  // then grpc::Server::Shutdown(deadline)

#include <mutex>
#include <set>

#include "grpc/health/v1/health.grpc.pb.h"

namespace triggerfish::server::api {

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  HealthService() = default;
  HealthService(const HealthService&) = delete;
  HealthService& operator=(const HealthService&) = delete;

  // SERVING or NOT_SERVING; watchers get the change. No effect after
  // Shutdown().
  void SetServing(bool serving);
  // NOT_SERVING for good; each Watch stream gets it and then ends.
  void Shutdown();

  // Service "" answers the status; any other name is NOT_FOUND.
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  // Sends the status now and on every change (SERVICE_UNKNOWN for names
  // other than ""), until the client cancels or the server shuts down.
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override;

 private:
  class Watcher;
  using Status = grpc::health::v1::HealthCheckResponse::ServingStatus;

  // Writes the latest status to every watcher that is not writing.
  void NotifyAll();

  std::mutex mu_;
  Status status_ = grpc::health::v1::HealthCheckResponse::NOT_SERVING;
  bool shut_down_ = false;
  std::set<Watcher*> watchers_;
};

}  // namespace triggerfish::server::api
