#pragma once

// Bearer tokens in tests: the SHA-256 hex digest the server configuration
// holds, and the metadata a client sends.

#include <openssl/sha.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "grpcpp/client_context.h"

namespace triggerfish::testing {

// What `printf %s "$TOKEN" | sha256sum` prints (without the file name).
inline std::string Sha256Hex(std::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  std::string hex;
  for (unsigned char byte : digest) {
    char pair[3];
    std::snprintf(pair, sizeof(pair), "%02x", byte);
    hex += pair;
  }
  return hex;
}

// Adds "authorization: Bearer <token>" to `context` (nothing for "").
inline void AddBearer(grpc::ClientContext* context, const std::string& token) {
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
}

}  // namespace triggerfish::testing
