#include "tools/tfctl/connection.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "google/rpc/error_details.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "server/common/grpc_code_names.h"

namespace triggerfish::tfctl {
namespace {

std::string ReadPem(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) UsageError(std::string("cannot read ") + flag + " " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::shared_ptr<grpc::Channel> OpenChannel(const GlobalOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  const bool tls = options.tls || !options.ca_file.empty() || !options.cert_file.empty();
  if (tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.ca_file.empty()) ssl.pem_root_certs = ReadPem(options.ca_file, "--ca-file");
    if (options.cert_file.empty() != options.key_file.empty()) {
      UsageError("--cert-file and --key-file go together");
    }
    if (!options.cert_file.empty()) {
      ssl.pem_cert_chain = ReadPem(options.cert_file, "--cert-file");
      ssl.pem_private_key = ReadPem(options.key_file, "--key-file");
    }
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  // Rule sets and explanations can be large; the server enforces its own
  // limit.
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  return grpc::CreateCustomChannel(options.address, credentials, args);
}

std::unique_ptr<grpc::ClientContext> NewContext(const GlobalOptions& options, bool deadline) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!options.token.empty()) context->AddMetadata("authorization", "Bearer " + options.token);
  if (deadline && options.timeout_seconds > 0) {
    context->set_deadline(
        std::chrono::system_clock::now() +
        std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000)));
  }
  return context;
}

google::rpc::Status RpcStatusOf(const grpc::Status& status) {
  google::rpc::Status out;
  if (status.error_details().empty() || !out.ParseFromString(status.error_details())) {
    out.Clear();
  }
  out.set_code(static_cast<int>(status.error_code()));
  if (out.message().empty()) out.set_message(status.error_message());
  return out;
}

std::string CodeName(int code) {
  if (code >= 0 && code < static_cast<int>(kGrpcCodeNames.size())) {
    return std::string(kGrpcCodeNames[code]);
  }
  return "CODE_" + std::to_string(code);
}

std::vector<std::pair<std::string, std::string>> FieldViolationsOf(
    const google::rpc::Status& status) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& any : status.details()) {
    google::rpc::BadRequest bad_request;
    if (any.Is<google::rpc::BadRequest>() && any.UnpackTo(&bad_request)) {
      for (const auto& v : bad_request.field_violations()) {
        out.emplace_back(v.field(), v.description());
      }
    }
  }
  return out;
}

std::string FormatRpcStatus(const google::rpc::Status& status) {
  std::string out = CodeName(status.code()) + ": " + status.message();
  for (const auto& any : status.details()) {
    google::rpc::BadRequest bad_request;
    google::rpc::ErrorInfo info;
    if (any.Is<google::rpc::BadRequest>() && any.UnpackTo(&bad_request)) {
      for (const auto& v : bad_request.field_violations()) {
        out += "\n  " + v.field() + ": " + v.description();
      }
    } else if (any.Is<google::rpc::ErrorInfo>() && any.UnpackTo(&info)) {
      out += "\n  reason: " + info.reason();
    }
  }
  return out;
}

Json RpcStatusToJson(const google::rpc::Status& status) {
  Json out = {{"code", CodeName(status.code())}, {"message", status.message()}};
  Json violations = Json::array();
  for (const auto& any : status.details()) {
    google::rpc::BadRequest bad_request;
    google::rpc::ErrorInfo info;
    if (any.Is<google::rpc::BadRequest>() && any.UnpackTo(&bad_request)) {
      for (const auto& v : bad_request.field_violations()) {
        violations.push_back({{"field", v.field()}, {"description", v.description()}});
      }
    } else if (any.Is<google::rpc::ErrorInfo>() && any.UnpackTo(&info)) {
      out["reason"] = info.reason();
    }
  }
  out["field_violations"] = std::move(violations);
  return out;
}

void ThrowApiError(const grpc::Status& status, const GlobalOptions& options,
                   const std::string& what) {
  const google::rpc::Status rpc = RpcStatusOf(status);
  if (options.json()) {
    Json error = RpcStatusToJson(rpc);
    error["operation"] = what;
    std::cerr << Json{{"error", error}}.dump(2) << "\n";
  } else {
    std::cerr << "tfctl: " << what << ": " << FormatRpcStatus(rpc) << "\n";
  }
  throw Failure(kExitFailed, "");
}

}  // namespace triggerfish::tfctl
