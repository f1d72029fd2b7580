#pragma once

// Applying ticket patches returned by actions, and computing the net patch
// between two tickets.

#include <cstdint>

#include "triggerfish/v1/ticket.pb.h"

namespace triggerfish::server::engine {

// Applies `patch` to `ticket`: set fields are overwritten, tags added (once)
// and removed, custom fields set or (null_value) removed.
void ApplyPatch(const v1::TicketPatch& patch, v1::Ticket* ticket);

// field_bits (field.h) of everything `patch` may change.
uint64_t PatchBits(const v1::TicketPatch& patch);

// The patch that turns `before` into `after` for the patchable fields.
v1::TicketPatch DiffTickets(const v1::Ticket& before, const v1::Ticket& after);

}  // namespace triggerfish::server::engine
