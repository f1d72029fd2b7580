#include "server/tls_credentials.h"

#include <fstream>
#include <sstream>

#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "server/common/strings.h"

namespace triggerfish::server {
namespace {

// Whether `path` can be read and holds a PEM block. The provider would only
// log a failed read on its own thread and then fail every handshake.
absl::Status CheckPemFile(const std::string& key, const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return absl::InvalidArgumentError(StrCat("config key \"", key, "\": cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(StrCat("config key \"", key, "\": ", path, " is not PEM"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsConfig& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  if (auto s = CheckPemFile("tls.cert_file", tls.cert_file); !s.ok()) return s;
  if (auto s = CheckPemFile("tls.key_file", tls.key_file); !s.ok()) return s;
  const bool verify_clients = !tls.client_ca_file.empty();
  if (verify_clients) {
    if (auto s = CheckPemFile("tls.client_ca_file", tls.client_ca_file); !s.ok()) return s;
  }
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file, tls.cert_file, tls.client_ca_file,
      static_cast<unsigned int>(tls.reload_interval_s));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (verify_clients) {
    options.watch_root_certs();
    options.set_cert_request_type(tls.require_client_cert
                                      ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                      : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace triggerfish::server
