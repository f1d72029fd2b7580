// Turns the "to"/"cc" entries of email.send into mailboxes:
//
//   "requester"     ticket.requester.{email,name}
//   "assignee"      ticket.assignee.{email,name}, which the server adds when it
//                   knows the agent (the ticket only has assignee_id otherwise)
//   "group:<id>"    every agent of the group, from the host's directory
//   "a@example.com" that address
//
// An entry that yields nobody (no requester email, unassigned ticket, empty
// group) is skipped and reported; a control character in any address or
// name is header injection and fails the whole send.
#pragma once

#include <string>
#include <vector>

#include <triggerfish/sdk.h>

namespace triggerfish::plugins::email {

struct Mailbox {
  std::string address;
  std::string name;  // may be empty
};

struct Skipped {
  std::string recipient;  // the entry as written in the rule
  std::string reason;
};

struct Recipients {
  // Each address appears once, in "to" if listed there, else in "cc";
  // compared case-insensitively.
  std::vector<Mailbox> to;
  std::vector<Mailbox> cc;
  std::vector<Skipped> skipped;
  // Non-empty if the send must fail permanently (header injection, an
  // invalid literal address).
  std::string error;
};

// Resolves params["to"] and params["cc"] (arrays of strings). Throws
// sdk::HostError if the directory query fails.
Recipients ResolveRecipients(sdk::Context& ctx, const sdk::Json& params, const sdk::Json& ticket);

}  // namespace triggerfish::plugins::email
