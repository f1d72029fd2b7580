#include "template.h"

#include <exception>

#include <kainjow/mustache.hpp>

namespace triggerfish::plugins::email {
namespace {

namespace mustache = kainjow::mustache;

mustache::data ToMustache(const sdk::Json& json) {
  switch (json.type()) {
    case sdk::Json::value_t::object: {
      mustache::data object{mustache::data::type::object};
      for (const auto& [key, value] : json.items()) object.set(key, ToMustache(value));
      return object;
    }
    case sdk::Json::value_t::array: {
      mustache::data list{mustache::data::type::list};
      for (const sdk::Json& item : json) list.push_back(ToMustache(item));
      return list;
    }
    case sdk::Json::value_t::string:
      return mustache::data{json.get<std::string>()};
    case sdk::Json::value_t::boolean:
      return mustache::data{json.get<bool>()};
    case sdk::Json::value_t::null:
    case sdk::Json::value_t::discarded:
      return mustache::data{false};
    default:  // numbers
      return mustache::data{json.dump()};
  }
}

}  // namespace

struct TemplateContext::Data {
  mustache::data root{mustache::data::type::object};
};

TemplateContext::TemplateContext(const sdk::Json& ticket, const sdk::Json& event)
    : data_(std::make_unique<Data>()) {
  data_->root.set("ticket", ToMustache(ticket));
  data_->root.set("event", ToMustache(event));
  sdk::Json comment;
  if (event.is_object()) comment = event.value("comment", sdk::Json());
  data_->root.set("comment", ToMustache(comment));
}

TemplateContext::~TemplateContext() = default;

namespace {

// Thrown from the render handler to stop a render that grew too large.
struct TooLarge {};

}  // namespace

bool TemplateContext::Render(std::string_view source, bool html, size_t max_bytes, std::string* out,
                             std::string* error) const {
  try {
    mustache::mustache tmpl{std::string(source)};
    if (!tmpl.is_valid()) {
      *error = tmpl.error_message();
      return false;
    }
    if (!html) tmpl.set_custom_escape([](const std::string& text) { return text; });
    out->clear();
    tmpl.render(data_->root, [&](const std::string& chunk) {
      if (out->size() + chunk.size() > max_bytes) throw TooLarge{};
      out->append(chunk);
    });
    return true;
  } catch (const TooLarge&) {
    out->clear();
    *error = "rendered text exceeds max_rendered_bytes (" + std::to_string(max_bytes) + " bytes)";
    return false;
  } catch (const std::exception& e) {
    *error = e.what();
    return false;
  }
}

}  // namespace triggerfish::plugins::email
