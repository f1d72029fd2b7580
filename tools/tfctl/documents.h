#pragma once

// Input and output documents: YAML/JSON files to Json and back,
// and proto messages to and from their proto-JSON form.
//
// Files may write enum values by their short lower-case name ("urgent",
// "open", "dead") as well as by their proto name ("TICKET_PRIORITY_URGENT");
// JsonToMessage accepts both. Output uses proto field names (snake_case),
// the form the example files use.

#include <string>

#include "google/protobuf/message.h"
#include "tools/tfctl/common.h"

namespace triggerfish::tfctl {

// The contents of `path`, or of stdin when path is "-". Unreadable: usage
// error.
std::string ReadInput(const std::string& path);

// Parses YAML (JSON is YAML too). Plain scalars that look like numbers,
// booleans or null become those; quoted scalars stay strings. Malformed:
// usage error naming `source` and the line.
Json ParseYaml(const std::string& text, const std::string& source);

// ParseYaml(ReadInput(path), path).
Json ReadDocument(const std::string& path);

// YAML that ParseYaml reads back as `value`: block style, with short flat
// maps and lists in flow style ({field: x, operator: is, value: y}).
std::string ToYaml(const Json& value);

// Fills `message` from `value` (proto-JSON; unknown fields are errors;
// short enum names accepted). Returns an error message, empty on success.
std::string JsonToMessage(const Json& value, google::protobuf::Message* message);

// Proto-JSON with proto field names; `defaults` also prints fields that hold
// their default value (stable keys for scripts).
Json MessageToJson(const google::protobuf::Message& message, bool defaults = false);

// The lower-case name of an enum value without its type prefix:
// TICKET_PRIORITY_URGENT -> "urgent".
std::string ShortEnumName(const google::protobuf::EnumDescriptor* type, int number);

// The number of the enum value named `name` (short or full); -1 if none.
int EnumNumber(const google::protobuf::EnumDescriptor* type, const std::string& name);

}  // namespace triggerfish::tfctl
