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

// Patterns are matched by RE2 in linear time: strings far longer than a
// recursive matcher's stack allows are matched like short ones.
TEST(JsonSchemaTest, PatternsMatchHugeStrings) {
  JsonSchema schema = MustCompile(R"({"type": "object", "properties": {
    "line": {"type": "string", "pattern": "^[^\\x00-\\x1f]*$"},
    "word": {"type": "string", "pattern": "[a-z]+"}}})");
  const std::string huge(1 << 20, 'x');
  EXPECT_THAT(schema.Validate(Json{{"line", huge}, {"word", huge}}), IsEmpty());
  EXPECT_THAT(schema.Validate(Json{{"line", huge + "\n"}, {"word", "123 abc 456"}}),
              ElementsAre(SchemaViolation{
                  "/line", "Failed to match regex specified by 'pattern' constraint."}));
  EXPECT_THAT(schema.Validate(Json{{"word", std::string(1 << 20, '1')}}),
              ElementsAre(SchemaViolation{
                  "/word", "Failed to match regex specified by 'pattern' constraint."}));
}

TEST(JsonSchemaTest, PatternPropertiesMatchNamesOfAnyLength) {
  JsonSchema schema = MustCompile(R"({"type": "object", "additionalProperties": false,
    "patternProperties": {"^[a-z]+$": {"type": "integer"}}})");
  const std::string huge(1 << 20, 'k');
  EXPECT_THAT(schema.Validate(Json{{huge, 1}, {"b", 2}}), IsEmpty());
  EXPECT_THAT(
      schema.Validate(Json{{huge, "no"}}),
      ElementsAre(SchemaViolation{"/" + huge, "Value type not permitted by 'type' constraint."}));
  EXPECT_FALSE(schema.Validate(Json{{huge + "1", 1}}).empty());  // matched by no pattern
}

TEST(JsonSchemaTest, DateAndTimeFormatsAreChecked) {
  JsonSchema schema = MustCompile(R"({"type": "object", "properties": {
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "format": "time"},
    "at": {"type": "string", "format": "date-time"}}})");
  EXPECT_THAT(
      schema.Validate(Json{
          {"date", "2026-02-28"}, {"time", "16:52:45+02:00"}, {"at", "2026-11-26T16:52:45.123Z"}}),
      IsEmpty());
  EXPECT_THAT(schema.Validate(Json{{"date", "2026-13-01"}}),
              ElementsAre(SchemaViolation{"/date", "String should be a valid date"}));
  EXPECT_FALSE(schema.Validate(Json{{"date", "2026-04-31"}}).empty());  // no 31 April
  EXPECT_THAT(schema.Validate(Json{{"time", "24:00:00Z"}}),
              ElementsAre(SchemaViolation{"/time", "String should be a valid time"}));
  EXPECT_THAT(schema.Validate(Json{{"at", "2026-11-26 16:52:45Z"}}),
              ElementsAre(SchemaViolation{"/at", "String should be a valid date-time"}));
  // A year of a million digits is a valid date, checked in linear time.
  EXPECT_THAT(schema.Validate(Json{{"date", std::string(1 << 20, '1') + "-01-31"}}), IsEmpty());
}

// A pattern RE2 cannot match (lookaround, backreferences) refuses the
// schema when it is compiled, naming the pattern and where it is.
TEST(JsonSchemaTest, PatternsRe2CannotMatchRefuseTheSchema) {
  auto lookahead = JsonSchema::Compile(
      std::string_view(R"js({"properties": {"a": {"items": [{"pattern": "^(?=x)"}]}}})js"));
  ASSERT_FALSE(lookahead.ok());
  EXPECT_EQ(lookahead.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(lookahead.status().message()),
              ::testing::HasSubstr("pattern \"^(?=x)\" at /properties/a/items/0/pattern"));
  auto backreference = JsonSchema::Compile(
      std::string_view(R"js({"patternProperties": {"(a)\\1": {"type": "string"}}})js"));
  ASSERT_FALSE(backreference.ok());
  EXPECT_THAT(std::string(backreference.status().message()),
              ::testing::HasSubstr("at /patternProperties"));
  // Data in a schema is not a pattern.
  EXPECT_TRUE(JsonSchema::Compile(std::string_view(R"js({"const": {"pattern": "(?=x)"},
                                                        "default": {"pattern": "(?=x)"}})js"))
                  .ok());
}

}  // namespace
}  // namespace triggerfish::server::plugins
