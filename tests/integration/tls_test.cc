// TLS and mutual TLS on the real triggerfishd, with a CA, server and client
// certificates made at test time by the `openssl` command in a temporary
// directory: a client needs the CA, mTLS refuses clients without a
// certificate or with one from another CA, and replaced certificate files
// are picked up by new connections after the reload interval.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish {
namespace {

using testing::ServerProcess;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs a shell command in `dir`; true when it exits 0.
bool Run(const std::string& dir, const std::string& command) {
  const std::string line = "cd '" + dir + "' && (" + command + ") >>openssl.log 2>&1";
  return std::system(line.c_str()) == 0;
}

// A throw-away PKI: two independent CAs, and certificates signed by them.
class Pki {
 public:
  Pki() {
    char pattern[] = "/tmp/triggerfish-pki-XXXXXX";
    dir_ = mkdtemp(pattern);
  }
  ~Pki() { std::filesystem::remove_all(dir_); }

  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  // <name>.pem / <name>.key: a self-signed CA.
  bool MakeCa(const std::string& name) {
    return Run(dir_, "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + name +
                         " -keyout " + name + ".key -out " + name + ".pem");
  }

  // <name>.pem / <name>.key signed by CA `ca`; a server certificate names
  // 127.0.0.1 and localhost.
  bool MakeCert(const std::string& name, const std::string& ca, bool server) {
    std::string ext = name + ".ext";
    std::ofstream(path(ext)) << (server ? "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                          "extendedKeyUsage=serverAuth\n"
                                        : "extendedKeyUsage=clientAuth\n");
    return Run(dir_, "openssl req -newkey rsa:2048 -nodes -subj /CN=" + name + " -keyout " + name +
                         ".key -out " + name + ".csr") &&
           Run(dir_, "openssl x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca +
                         ".key -CAcreateserial -days 2 -extfile " + ext + " -out " + name + ".pem");
  }

  std::string log() const { return ReadFile(path("openssl.log")); }

 private:
  std::string dir_;
};

// Channel credentials trusting `ca_pem` (a path; "" for the system roots),
// presenting the client certificate `cert` (a PKI name; "" for none).
std::shared_ptr<grpc::ChannelCredentials> Tls(const Pki& pki, const std::string& ca,
                                              const std::string& cert = "") {
  grpc::SslCredentialsOptions options;
  if (!ca.empty()) options.pem_root_certs = ReadFile(pki.path(ca + ".pem"));
  if (!cert.empty()) {
    options.pem_cert_chain = ReadFile(pki.path(cert + ".pem"));
    options.pem_private_key = ReadFile(pki.path(cert + ".key"));
  }
  return grpc::SslCredentials(options);
}

// One ListRules over a fresh connection (no subchannel shared with earlier
// channels, so every call makes its own handshake).
grpc::Status Call(const std::string& address,
                  const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(address, credentials, args);
  auto stub = v1::RuleService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::ListRulesResponse response;
  return stub->ListRules(&context, {}, &response);
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.MakeCa("ca") && pki_.MakeCa("other-ca") &&
                pki_.MakeCert("server", "ca", /*server=*/true) &&
                pki_.MakeCert("client", "ca", /*server=*/false) &&
                pki_.MakeCert("intruder", "other-ca", /*server=*/false))
        << pki_.log();
  }

  // Starts the server with `tls_yaml` as its `tls` section; the health check
  // of Start() uses `credentials`.
  bool StartServer(const std::string& tls_yaml,
                   std::shared_ptr<grpc::ChannelCredentials> credentials) {
    const std::string config = pki_.path("server.yaml");
    std::ofstream(config) << "tls: " << tls_yaml << "\n";
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{"--config", config});
    server_->set_channel_credentials(std::move(credentials));
    return server_->Start();
  }

  std::string ServerFiles() const {
    return "cert_file: " + pki_.path("server.pem") + ", key_file: " + pki_.path("server.key");
  }

  Pki pki_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(TlsTest, ACallSucceedsWithTheCaAndFailsWithoutIt) {
  ASSERT_TRUE(StartServer("{" + ServerFiles() + "}", Tls(pki_, "ca"))) << server_->log();
  const std::string address = server_->address();
  EXPECT_TRUE(Call(address, Tls(pki_, "ca")).ok());
  // A client that does not trust the server's CA refuses the handshake.
  EXPECT_EQ(Call(address, Tls(pki_, "other-ca")).error_code(), grpc::StatusCode::UNAVAILABLE);
  // Plaintext is not spoken on a TLS port.
  EXPECT_EQ(Call(address, grpc::InsecureChannelCredentials()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A client certificate is not asked for, and does no harm.
  EXPECT_TRUE(Call(address, Tls(pki_, "ca", "intruder")).ok());
  EXPECT_NE(server_->log().find("client certificates: not requested"), std::string::npos);
}

TEST_F(TlsTest, MutualTlsRefusesClientsWithoutACertificateOrWithAnotherCasCertificate) {
  ASSERT_TRUE(StartServer("{" + ServerFiles() + ", client_ca_file: " + pki_.path("ca.pem") +
                              ", require_client_cert: true}",
                          Tls(pki_, "ca", "client")))
      << server_->log();
  const std::string address = server_->address();
  EXPECT_TRUE(Call(address, Tls(pki_, "ca", "client")).ok());
  EXPECT_EQ(Call(address, Tls(pki_, "ca")).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call(address, Tls(pki_, "ca", "intruder")).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, OptionalClientCertificatesAreStillVerifiedWhenPresented) {
  ASSERT_TRUE(StartServer("{" + ServerFiles() + ", client_ca_file: " + pki_.path("ca.pem") + "}",
                          Tls(pki_, "ca")))
      << server_->log();
  const std::string address = server_->address();
  EXPECT_TRUE(Call(address, Tls(pki_, "ca")).ok());
  EXPECT_TRUE(Call(address, Tls(pki_, "ca", "client")).ok());
  EXPECT_EQ(Call(address, Tls(pki_, "ca", "intruder")).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, ReplacedCertificateFilesAreUsedByNewConnectionsAfterTheReloadInterval) {
  // The live files, replaced below by a pair from another CA.
  std::filesystem::copy_file(pki_.path("server.pem"), pki_.path("live.pem"));
  std::filesystem::copy_file(pki_.path("server.key"), pki_.path("live.key"));
  ASSERT_TRUE(pki_.MakeCert("server2", "other-ca", /*server=*/true)) << pki_.log();
  ASSERT_TRUE(StartServer("{cert_file: " + pki_.path("live.pem") +
                              ", key_file: " + pki_.path("live.key") + ", reload_interval_s: 1}",
                          Tls(pki_, "ca")))
      << server_->log();
  const std::string address = server_->address();
  ASSERT_TRUE(Call(address, Tls(pki_, "ca")).ok());
  ASSERT_EQ(Call(address, Tls(pki_, "other-ca")).error_code(), grpc::StatusCode::UNAVAILABLE);

  // Replace key and certificate (each by a rename, as a deployment would).
  std::filesystem::copy_file(pki_.path("server2.key"), pki_.path("next.key"));
  std::filesystem::copy_file(pki_.path("server2.pem"), pki_.path("next.pem"));
  std::filesystem::rename(pki_.path("next.key"), pki_.path("live.key"));
  std::filesystem::rename(pki_.path("next.pem"), pki_.path("live.pem"));

  // Past the interval, a new connection sees the new certificate: only a
  // client trusting the CA that signed the new one gets through.
  bool switched = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!switched && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    switched = Call(address, Tls(pki_, "other-ca")).ok();
  }
  EXPECT_TRUE(switched) << server_->log();
  EXPECT_EQ(Call(address, Tls(pki_, "ca")).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, AnUnreadableCertificateStopsTheServerNamingTheKey) {
  EXPECT_FALSE(StartServer(
      "{cert_file: " + pki_.path("missing.pem") + ", key_file: " + pki_.path("server.key") + "}",
      Tls(pki_, "ca")));
  EXPECT_NE(server_->log().find("tls.cert_file"), std::string::npos) << server_->log();
  EXPECT_FALSE(StartServer("{" + ServerFiles() + ", client_ca_file: " + pki_.path("ca.key") + "x}",
                           Tls(pki_, "ca")));
  EXPECT_NE(server_->log().find("tls.client_ca_file"), std::string::npos) << server_->log();
}

}  // namespace
}  // namespace triggerfish
