#pragma once

// How many bytes of items one List response may carry. A page stops early,
// with a next_page_token, rather than outgrow the gRPC message limit and
// fail as a whole (100 ticket snapshots of 1 MiB each would make a
// ListTickets page of 100 MiB that no client could ever read). A page always
// holds at least one item. Set once at start-up from max_message_bytes.

#include <cstddef>

namespace triggerfish::server {

void SetMaxPageBytes(size_t bytes);
size_t MaxPageBytes();

}  // namespace triggerfish::server
