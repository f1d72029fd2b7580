// The per-ticket send limit that stops mail loops (a rule mailing on every
// comment, an auto-reply that comments back...): at most `count` messages per
// ticket in any `window`.
//
// State: key "sent/<ticket id>" holds a JSON array of the sends still inside
// the window, [{"op": operation id, "at": host time in Unix microseconds}],
// updated with compare-and-set so concurrent sends never both take the last
// slot. A slot is taken before sending and given back if the send fails;
// retries of one operation reuse its slot instead of taking another.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <triggerfish/sdk.h>

namespace triggerfish::plugins::email {

class SendLimit {
 public:
  SendLimit(int64_t count, int64_t window_micros) : count_(count), window_micros_(window_micros) {}

  enum class Outcome {
    kReserved,      // a slot is ours; call Release if the send fails
    kLimitReached,  // do not send
    kUnavailable,   // the host offers no state here; the limit cannot apply
  };
  struct Reservation {
    Outcome outcome = Outcome::kUnavailable;
    int64_t sends_in_window = 0;  // including ours when kReserved
  };

  // Takes a slot for `operation_id` at `now_micros`. Throws sdk::HostError
  // if the state is unusable (retryable when the host is unavailable) and
  // sdk::RetryableError if it keeps losing compare-and-set races.
  Reservation Reserve(sdk::Context& ctx, std::string_view ticket_id, std::string_view operation_id,
                      int64_t now_micros) const;

  // Gives back the slot of `operation_id`. Never throws: a slot that cannot
  // be released expires with the window.
  void Release(sdk::Context& ctx, std::string_view ticket_id,
               std::string_view operation_id) const noexcept;

  // "sent/<ticket id>", hashed if the id would exceed the 256-byte key limit.
  static std::string Key(std::string_view ticket_id);

 private:
  int64_t count_;
  int64_t window_micros_;
};

}  // namespace triggerfish::plugins::email
