#pragma once

// The channel to triggerfishd and the per-call context (bearer token,
// deadline), plus how failed calls are reported.
//
//   auto channel = OpenChannel(options);
//   auto stub = v1::RuleService::NewStub(channel);
//   auto context = NewContext(options);
//   grpc::Status status = stub->GetRule(context.get(), request, &rule);
//   if (!status.ok()) ThrowApiError(status, options, "get rule " + id);

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "google/rpc/status.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "tools/tfctl/common.h"

namespace triggerfish::tfctl {

// A channel to options.address: plaintext, or TLS with the given CA, client
// certificate and key (files read here; an unreadable file is a usage error).
std::shared_ptr<grpc::Channel> OpenChannel(const GlobalOptions& options);

// A context carrying `authorization: Bearer <token>` when a token is set and
// the --timeout deadline unless `deadline` is false (streams).
std::unique_ptr<grpc::ClientContext> NewContext(const GlobalOptions& options, bool deadline = true);

// The google.rpc.Status of a failed call: its details when the server sent
// them, else just the code and message.
google::rpc::Status RpcStatusOf(const grpc::Status& status);

// "NOT_FOUND" for 5, and so on.
std::string CodeName(int code);

// (field, description) of every BadRequest field violation.
std::vector<std::pair<std::string, std::string>> FieldViolationsOf(
    const google::rpc::Status& status);

// Human-readable lines: "CODE: message", then one indented line per
// BadRequest field violation and the ErrorInfo reason, if any.
std::string FormatRpcStatus(const google::rpc::Status& status);

// {"code": "INVALID_ARGUMENT", "message": ..., "field_violations":
// [{"field", "description"}], "reason": ...}.
Json RpcStatusToJson(const google::rpc::Status& status);

// Prints the failed call (`what` says which) to stderr, as JSON with
// --output json, and throws Failure(kExitFailed).
[[noreturn]] void ThrowApiError(const grpc::Status& status, const GlobalOptions& options,
                                const std::string& what);

}  // namespace triggerfish::tfctl
