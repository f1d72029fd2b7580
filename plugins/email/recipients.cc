#include "recipients.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>

#include "header_text.h"

namespace triggerfish::plugins::email {
namespace {

std::string StringMember(const sdk::Json& object, const char* name) {
  if (!object.is_object()) return std::string();
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

class Resolver {
 public:
  Resolver(sdk::Context& ctx, const sdk::Json& ticket, Recipients* out)
      : ctx_(ctx), ticket_(ticket), out_(out) {}

  void ResolveList(const sdk::Json& entries, std::vector<Mailbox>* list) {
    if (!entries.is_array()) return;
    for (const sdk::Json& entry : entries) {
      if (!out_->error.empty()) return;
      if (!entry.is_string()) {
        out_->error = "recipient " + entry.dump() + " is not a string";
        return;
      }
      Resolve(entry.get<std::string>(), list);
    }
  }

 private:
  void Resolve(const std::string& entry, std::vector<Mailbox>* list) {
    if (entry == "requester") {
      const sdk::Json requester = ticket_.value("requester", sdk::Json::object());
      AddFromData(entry, StringMember(requester, "email"), StringMember(requester, "name"),
                  "the ticket has no requester email", list);
    } else if (entry == "assignee") {
      auto it = ticket_.find("assignee");
      if (it == ticket_.end() || !it->is_object()) {
        const std::string id = StringMember(ticket_, "assignee_id");
        Skip(entry, id.empty() ? "the ticket has no assignee"
                               : "the server did not provide the email of assignee " + id);
        return;
      }
      AddFromData(entry, StringMember(*it, "email"), StringMember(*it, "name"),
                  "assignee " + StringMember(*it, "id") + " has no email", list);
    } else if (entry.starts_with("group:")) {
      const std::string group = entry.substr(6);
      sdk::Json agents = ctx_.GroupAgents(group);
      if (!agents.is_array()) agents = sdk::Json::array();
      for (const sdk::Json& agent : agents) {
        const std::string email = StringMember(agent, "email");
        if (email.empty()) {
          Skip(entry, "agent " + StringMember(agent, "id") + " has no email");
          continue;
        }
        if (!Add(entry, email, StringMember(agent, "name"), list)) return;
      }
      if (agents.empty()) Skip(entry, "group " + group + " has no agents");
    } else {
      if (HasControlCharacter(entry)) {
        out_->error = "header injection: control character in recipient address";
        return;
      }
      if (!IsPlainAddress(entry)) {
        out_->error = "invalid recipient address \"" + entry + "\"";
        return;
      }
      Add(entry, entry, "", list);
    }
  }

  // An address read from the ticket or the directory: missing or malformed
  // ones are skipped (the data is not the rule's fault), control characters
  // fail the send.
  void AddFromData(const std::string& entry, const std::string& address, const std::string& name,
                   const std::string& missing_reason, std::vector<Mailbox>* list) {
    if (address.empty()) {
      Skip(entry, missing_reason);
      return;
    }
    Add(entry, address, name, list);
  }

  // Returns false if the send must fail.
  bool Add(const std::string& entry, const std::string& address, const std::string& name,
           std::vector<Mailbox>* list) {
    if (HasControlCharacter(address) || HasControlCharacter(name)) {
      out_->error = "header injection: control character in the address or name of " + entry;
      return false;
    }
    if (!IsPlainAddress(address)) {
      Skip(entry, "\"" + address + "\" is not a valid email address");
      return true;
    }
    if (seen_.insert(Lower(address)).second) list->push_back(Mailbox{address, name});
    return true;
  }

  void Skip(const std::string& entry, std::string reason) {
    out_->skipped.push_back(Skipped{entry, std::move(reason)});
  }

  sdk::Context& ctx_;
  const sdk::Json& ticket_;
  Recipients* out_;
  std::set<std::string> seen_;
};

}  // namespace

Recipients ResolveRecipients(sdk::Context& ctx, const sdk::Json& params, const sdk::Json& ticket) {
  Recipients out;
  const sdk::Json no_ticket = sdk::Json::object();
  Resolver resolver(ctx, ticket.is_object() ? ticket : no_ticket, &out);
  resolver.ResolveList(params.value("to", sdk::Json::array()), &out.to);
  resolver.ResolveList(params.value("cc", sdk::Json::array()), &out.cc);
  return out;
}

}  // namespace triggerfish::plugins::email
