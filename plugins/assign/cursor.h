// The rotation cursor: the id of the agent that got the last turn, kept in
// durable plugin state so every replica of the server agrees on whose turn
// it is.
//
// The next turn goes to the first candidate whose id is greater than the
// cursor, wrapping to the smallest id. Because the cursor is an id rather
// than a position, agents joining or leaving the candidate list do not make
// anyone skip or repeat a turn out of order.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <triggerfish/sdk.h>

namespace triggerfish::plugins::assign {

// How often a lost compare-and-set is retried before giving up. Each loss
// means another event took a turn, so the loop always makes progress overall.
inline constexpr int kCursorAttempts = 16;

// Thrown when the cursor kept changing under us; maps to TF_RETRYABLE.
class CursorContention : public sdk::RetryableError {
 public:
  using sdk::RetryableError::RetryableError;
};

// The first of `ids` (sorted ascending, non-empty) after `cursor`, wrapping.
inline const std::string& NextAfter(const std::vector<std::string>& ids,
                                    const std::optional<sdk::Json>& cursor) {
  if (cursor && cursor->is_string()) {
    auto next = std::upper_bound(ids.begin(), ids.end(), cursor->get_ref<const std::string&>());
    if (next != ids.end()) return *next;
  }
  return ids.front();
}

// Gives the next turn among `ids` (sorted ascending, non-empty) and moves the
// cursor under `key` to it with compare-and-set, re-reading and retrying on
// conflict, so that two concurrent events never get the same turn. Throws
// CursorContention after kCursorAttempts lost races and sdk::HostError if the
// state store fails.
inline std::string TakeTurn(sdk::Context& ctx, const std::string& key,
                            const std::vector<std::string>& ids) {
  for (int attempt = 0; attempt < kCursorAttempts; ++attempt) {
    std::optional<sdk::Json> cursor = ctx.GetState(key);
    const std::string& next = NextAfter(ids, cursor);
    if (ctx.CompareAndSetState(key, cursor, sdk::Json(next))) return next;
  }
  throw CursorContention("the rotation cursor " + key + " changed " +
                         std::to_string(kCursorAttempts) + " times in a row; try again");
}

}  // namespace triggerfish::plugins::assign
