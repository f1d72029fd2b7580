#include "server/plugins/json_schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace triggerfish::server::plugins {

void PrintTo(const SchemaViolation& v, std::ostream* os);

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Json = nlohmann::json;

JsonSchema MustCompile(std::string_view text) {
  absl::StatusOr<JsonSchema> schema = JsonSchema::Compile(text);
  EXPECT_TRUE(schema.ok()) << schema.status();
  return std::move(*schema);
}

TEST(JsonSchemaTest, RefusesInvalidSchemas) {
  EXPECT_EQ(JsonSchema::Compile(std::string_view("{")).status().message(), "not valid JSON");
  EXPECT_EQ(JsonSchema::Compile(std::string_view("42")).status().message(),
            "a JSON Schema must be an object or a boolean");
  EXPECT_EQ(JsonSchema::Compile(std::string_view(R"({"type": 7})")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(
      JsonSchema::Compile(std::string_view(R"({"$ref": "http://example.com/s.json"})")).ok());
}

TEST(JsonSchemaTest, ReportsInnermostViolationsAsJsonPointers) {
  JsonSchema schema = MustCompile(R"({
    "type": "object",
    "required": ["group"],
    "properties": {
      "group": {"type": "string"},
      "tags": {"type": "array", "items": {"type": "string"}},
      "a/b": {"type": "integer"}
    }
  })");
  EXPECT_THAT(schema.Validate(Json::parse(R"({"group": "tier1", "tags": ["x"]})")), IsEmpty());
  EXPECT_THAT(
      schema.Validate(Json::parse(R"({"tags": ["x", 3], "a/b": "no"})")),
      ElementsAre(SchemaViolation{"/a~1b", "Value type not permitted by 'type' constraint."},
                  SchemaViolation{"/tags/1", "Value type not permitted by 'type' constraint."},
                  SchemaViolation{"/group", "required property is missing"}));
  EXPECT_THAT(schema.Validate(Json::array()),
              ElementsAre(SchemaViolation{"", "Value type not permitted by 'type' constraint."}));
}

}  // namespace
}  // namespace triggerfish::server::plugins
