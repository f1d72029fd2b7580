// JsonSchema: a compiled JSON Schema (draft 7) and validation that reports
// every violation with a JSON Pointer to the offending value.
//
//   absl::StatusOr<JsonSchema> schema = JsonSchema::Compile(schema_json);
//   for (const SchemaViolation& v : schema->Validate(params)) {
//     // v.path == "/group", v.message == "Value type not permitted by ..."
//   }
//
// Remote $refs are not fetched: a schema that needs one does not compile.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace triggerfish::server::plugins {

// One reason a document does not match a schema.
struct SchemaViolation {
  // JSON Pointer (RFC 6901) of the offending value: "" is the whole
  // document, "/group" a member, "/tags/2" an array item. For a missing
  // required property it points to where the property should be.
  std::string path;
  std::string message;

  bool operator==(const SchemaViolation&) const = default;
};

class JsonSchema {
 public:
  // Compiles `schema`. Returns InvalidArgument naming the problem if it is not
  // a valid JSON Schema.
  static absl::StatusOr<JsonSchema> Compile(const nlohmann::json& schema);
  // Parses `schema_text` as JSON, then compiles it.
  static absl::StatusOr<JsonSchema> Compile(std::string_view schema_text);

  JsonSchema(JsonSchema&&) noexcept;
  JsonSchema& operator=(JsonSchema&&) noexcept;
  ~JsonSchema();

  // Every violation of the schema by `document`; empty if it matches.
  // Thread-safe.
  std::vector<SchemaViolation> Validate(const nlohmann::json& document) const;

  // The schema as given.
  const nlohmann::json& json() const { return json_; }

 private:
  struct Impl;
  JsonSchema(nlohmann::json json, std::unique_ptr<Impl> impl);

  nlohmann::json json_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace triggerfish::server::plugins
