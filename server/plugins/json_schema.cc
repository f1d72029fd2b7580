#include "server/plugins/json_schema.h"

#include <algorithm>
#include <exception>
#include <string_view>
#include <utility>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "absl/status/status.h"
#include "server/plugins/valijson_re2.h"

namespace triggerfish::server::plugins {
namespace {

// valijson reports a failure inside a property or item twice: at the
// offending value and again as "failed to validate property X" on each
// enclosing object. Only the innermost report helps a user.
bool IsWrapperMessage(std::string_view message) {
  for (std::string_view prefix : {
           "Failed to validate against schema associated with property name",
           "Failed to validate against schema associated with pattern",
           "Failed to validate item #",
           "Failed to validate against additional properties schema",
           "Failed to validate against child schema #",
       }) {
    if (message.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

// Appends one RFC 6901 reference token.
void AppendToken(std::string& pointer, std::string_view token) {
  pointer += '/';
  for (char c : token) {
    if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer += c;
    }
  }
}

// valijson context: {"<root>", "[name]", "[0]", ...}.
std::string ToPointer(const std::vector<std::string>& context) {
  std::string pointer;
  for (const std::string& element : context) {
    if (element.size() >= 2 && element.front() == '[' && element.back() == ']') {
      AppendToken(pointer, std::string_view(element).substr(1, element.size() - 2));
    }
  }
  return pointer;
}

// Returns the quoted name in "... 'name'." messages.
std::string QuotedName(std::string_view message) {
  size_t end = message.rfind('\'');
  if (end == std::string_view::npos || end == 0) return std::string();
  size_t begin = message.rfind('\'', end - 1);
  if (begin == std::string_view::npos) return std::string();
  return std::string(message.substr(begin + 1, end - begin - 1));
}

SchemaViolation ToViolation(const valijson::ValidationResults::Error& error) {
  SchemaViolation violation{ToPointer(error.context), error.description};
  std::string_view message = error.description;
  if (message.starts_with("Missing required property")) {
    AppendToken(violation.path, QuotedName(message));
    violation.message = "required property is missing";
  } else if (message.starts_with("Object contains a property that could not be validated")) {
    AppendToken(violation.path, QuotedName(message));
    violation.message = "unknown property";
  }
  return violation;
}

// Every regular expression of `schema` ("pattern" values, "patternProperties"
// names) must compile with RE2, which matches them (valijson_re2.h). Data
// inside the schema ("const", "enum", "default", "examples") is not looked
// at.
absl::Status CheckPatterns(const nlohmann::json& schema, const std::string& path) {
  auto check = [](const std::string& pattern, const std::string& where) -> absl::Status {
    if (SchemaPattern(pattern) != nullptr) return absl::OkStatus();
    RE2::Options options;
    options.set_log_errors(false);
    const RE2 re(pattern, options);
    return absl::InvalidArgumentError("pattern \"" + pattern + "\" at " + where +
                                      " is not one RE2 can match (" + re.error() +
                                      "); RE2 has no backreferences or lookaround");
  };
  if (schema.is_array()) {
    for (size_t i = 0; i < schema.size(); ++i) {
      if (auto s = CheckPatterns(schema[i], path + "/" + std::to_string(i)); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (!schema.is_object()) return absl::OkStatus();
  for (const auto& [key, value] : schema.items()) {
    const std::string at = path + "/" + key;
    if (key == "const" || key == "enum" || key == "default" || key == "examples") continue;
    if (key == "pattern" && value.is_string()) {
      if (auto s = check(value.get<std::string>(), at); !s.ok()) return s;
      continue;
    }
    if (key == "patternProperties" && value.is_object()) {
      for (const auto& [name, subschema] : value.items()) {
        if (auto s = check(name, at); !s.ok()) return s;
        if (auto s = CheckPatterns(subschema, at + "/" + name); !s.ok()) return s;
      }
      continue;
    }
    if (auto s = CheckPatterns(value, at); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

struct JsonSchema::Impl {
  valijson::Schema schema;
};

JsonSchema::JsonSchema(nlohmann::json json, std::unique_ptr<Impl> impl)
    : json_(std::move(json)), impl_(std::move(impl)) {}
JsonSchema::JsonSchema(JsonSchema&&) noexcept = default;
JsonSchema& JsonSchema::operator=(JsonSchema&&) noexcept = default;
JsonSchema::~JsonSchema() = default;

absl::StatusOr<JsonSchema> JsonSchema::Compile(const nlohmann::json& schema) {
  if (!schema.is_object() && !schema.is_boolean()) {
    return absl::InvalidArgumentError("a JSON Schema must be an object or a boolean");
  }
  if (auto s = CheckPatterns(schema, ""); !s.ok()) return s;
  auto impl = std::make_unique<Impl>();
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(schema);
    parser.populateSchema(adapter, impl->schema);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
  return JsonSchema(schema, std::move(impl));
}

absl::StatusOr<JsonSchema> JsonSchema::Compile(std::string_view schema_text) {
  nlohmann::json schema = nlohmann::json::parse(schema_text, nullptr, /*allow_exceptions=*/false);
  if (schema.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  return Compile(schema);
}

std::vector<SchemaViolation> JsonSchema::Validate(const nlohmann::json& document) const {
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(document);
  std::vector<SchemaViolation> violations;
  if (validator.validate(impl_->schema, adapter, &results)) return violations;
  for (const auto& error : results) {
    if (IsWrapperMessage(error.description)) continue;
    SchemaViolation violation = ToViolation(error);
    if (std::find(violations.begin(), violations.end(), violation) == violations.end()) {
      violations.push_back(std::move(violation));
    }
  }
  if (violations.empty()) violations.push_back({"", "document does not match the schema"});
  return violations;
}

}  // namespace triggerfish::server::plugins
