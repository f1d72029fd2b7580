#pragma once

// The credentials of the gRPC port: plaintext, TLS, or mutual TLS, from the
// `tls` configuration section. Certificate, key and client CA files are
// watched (gRPC's FileWatcherCertificateProvider) and re-read every
// reload_interval_s when they change: new connections get the new ones.

#include <memory>

#include "absl/status/statusor.h"
#include "server/config/security_config.h"

namespace grpc {
class ServerCredentials;
}

namespace triggerfish::server {

// Insecure credentials when `tls` is not enabled. INVALID_ARGUMENT naming
// the key (e.g. `tls.cert_file`) when a file cannot be read or holds no PEM
// block: the server does not start with a TLS setup that cannot work.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsConfig& tls);

}  // namespace triggerfish::server
