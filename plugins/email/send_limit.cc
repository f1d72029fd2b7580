#include "send_limit.h"

#include <cstdio>
#include <optional>

namespace triggerfish::plugins::email {
namespace {

constexpr int kMaxCasAttempts = 32;

// The entries of `state` still inside the window, minus those of
// `operation_id` (`*ours` tells whether there was one).
sdk::Json Recent(const std::optional<sdk::Json>& state, int64_t since,
                 std::string_view operation_id, bool* ours) {
  sdk::Json kept = sdk::Json::array();
  *ours = false;
  if (!state || !state->is_array()) return kept;
  for (const sdk::Json& entry : *state) {
    if (!entry.is_object()) continue;
    int64_t at = entry.value("at", int64_t{0});
    if (entry.value("op", std::string()) == operation_id) {
      *ours = true;
      continue;
    }
    if (at > since) kept.push_back(entry);
  }
  return kept;
}

}  // namespace

std::string SendLimit::Key(std::string_view ticket_id) {
  if (ticket_id.size() <= 200) return "sent/" + std::string(ticket_id);
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : ticket_id) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(hash));
  return "sent/" + std::string(ticket_id.substr(0, 180)) + "#" + hex;
}

SendLimit::Reservation SendLimit::Reserve(sdk::Context& ctx, std::string_view ticket_id,
                                          std::string_view operation_id, int64_t now_micros) const {
  const std::string key = Key(ticket_id);
  for (int attempt = 0; attempt < kMaxCasAttempts; ++attempt) {
    std::optional<sdk::Json> current;
    try {
      current = ctx.GetState(key);
    } catch (const sdk::HostError& e) {
      if (e.status() == TF_HOST_UNSUPPORTED) return Reservation{Outcome::kUnavailable, 0};
      throw;
    }
    bool ours = false;
    sdk::Json recent = Recent(current, now_micros - window_micros_, operation_id, &ours);
    // A retry keeps counting as the one message it is.
    if (!ours && static_cast<int64_t>(recent.size()) >= count_) {
      return Reservation{Outcome::kLimitReached, static_cast<int64_t>(recent.size())};
    }
    recent.push_back({{"op", std::string(operation_id)}, {"at", now_micros}});
    if (ctx.CompareAndSetState(key, current, recent)) {
      return Reservation{Outcome::kReserved, static_cast<int64_t>(recent.size())};
    }
  }
  throw sdk::RetryableError("send limit state of ticket " + std::string(ticket_id) +
                            " is contended; try again");
}

void SendLimit::Release(sdk::Context& ctx, std::string_view ticket_id,
                        std::string_view operation_id) const noexcept {
  try {
    const std::string key = Key(ticket_id);
    for (int attempt = 0; attempt < kMaxCasAttempts; ++attempt) {
      std::optional<sdk::Json> current = ctx.GetState(key);
      if (!current || !current->is_array()) return;
      sdk::Json kept = sdk::Json::array();
      bool found = false;
      for (const sdk::Json& entry : *current) {
        if (entry.is_object() && entry.value("op", std::string()) == operation_id) {
          found = true;
        } else {
          kept.push_back(entry);
        }
      }
      if (!found) return;
      if (ctx.CompareAndSetState(key, current, kept)) return;
    }
  } catch (...) {
    // Expires with the window.
  }
}

}  // namespace triggerfish::plugins::email
