#include "tools/tfctl/documents.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "tools/tfctl/common.h"
#include "yaml-cpp/yaml.h"

namespace triggerfish::tfctl {
namespace {

namespace pb = google::protobuf;

// The same reading of scalars as the server's seed-rules loader
// (server/config YamlToJson), so that a file means the same to both.
Json PlainScalar(const std::string& text) {
  if (text == "true" || text == "True") return true;
  if (text == "false" || text == "False") return false;
  if (text == "null" || text == "~" || text.empty()) return nullptr;
  char* end = nullptr;
  const long long integer = std::strtoll(text.c_str(), &end, 10);
  if (end != text.c_str() && *end == '\0') return integer;
  const double number = std::strtod(text.c_str(), &end);
  if (end != text.c_str() && *end == '\0') return number;
  return text;
}

Json NodeToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      if (node.Tag() == "!") return node.Scalar();  // quoted
      return PlainScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(NodeToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& item : node) out[item.first.as<std::string>()] = NodeToJson(item.second);
      return out;
    }
    default:
      return nullptr;
  }
}

bool IsFlat(const Json& value) {
  if (value.is_array()) {
    return std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_primitive(); });
  }
  if (value.is_object()) {
    for (const auto& [key, v] : value.items()) {
      if (!v.is_primitive() && !(v.is_array() && IsFlat(v))) return false;
      if (v.is_array() && v.size() > 8) return false;
    }
    return value.dump().size() <= 100;
  }
  return true;
}

void Emit(YAML::Emitter& out, const Json& value) {
  if (value.is_object()) {
    if (IsFlat(value)) out << YAML::Flow;
    out << YAML::BeginMap;
    for (const auto& [key, v] : value.items()) {
      out << YAML::Key << key << YAML::Value;
      Emit(out, v);
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    if (IsFlat(value)) out << YAML::Flow;
    out << YAML::BeginSeq;
    for (const auto& v : value) Emit(out, v);
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    // Quote what would read back as something other than this string.
    if (!PlainScalar(text).is_string()) {
      out << YAML::DoubleQuoted << text;
    } else {
      out << text;
    }
  } else if (value.is_boolean()) {
    out << (value.get<bool>() ? "true" : "false");
  } else if (value.is_null()) {
    out << YAML::Null;
  } else {
    out << value.dump();
  }
}

// Rewrites short enum names ("urgent") to proto names, following the
// message's descriptor.
void NormalizeEnums(Json& value, const pb::Descriptor* type);

void NormalizeField(Json& value, const pb::FieldDescriptor* field) {
  if (field->is_map()) {
    const pb::FieldDescriptor* map_value = field->message_type()->map_value();
    if (value.is_object()) {
      for (auto& [key, v] : value.items()) NormalizeField(v, map_value);
    }
    return;
  }
  if (field->is_repeated() && value.is_array()) {
    for (auto& item : value) {
      if (field->type() == pb::FieldDescriptor::TYPE_MESSAGE) {
        NormalizeEnums(item, field->message_type());
      } else if (field->type() == pb::FieldDescriptor::TYPE_ENUM && item.is_string()) {
        const int number = EnumNumber(field->enum_type(), item.get<std::string>());
        if (number >= 0) item = field->enum_type()->FindValueByNumber(number)->name();
      }
    }
    return;
  }
  if (field->type() == pb::FieldDescriptor::TYPE_MESSAGE) {
    NormalizeEnums(value, field->message_type());
  } else if (field->type() == pb::FieldDescriptor::TYPE_ENUM && value.is_string()) {
    const int number = EnumNumber(field->enum_type(), value.get<std::string>());
    if (number >= 0) value = field->enum_type()->FindValueByNumber(number)->name();
  }
}

void NormalizeEnums(Json& value, const pb::Descriptor* type) {
  if (!value.is_object() || type->file()->package() == "google.protobuf") return;
  for (auto& [key, v] : value.items()) {
    const pb::FieldDescriptor* field = type->FindFieldByName(key);
    if (field == nullptr) field = type->FindFieldByCamelcaseName(key);
    if (field != nullptr) NormalizeField(v, field);
  }
}

std::string EnumPrefix(const pb::EnumDescriptor* type) {
  const pb::EnumValueDescriptor* zero = type->FindValueByNumber(0);
  if (zero == nullptr) return "";
  const std::string& name = zero->name();
  const std::string suffix = "UNSPECIFIED";
  if (name.size() >= suffix.size() && name.ends_with(suffix)) {
    return name.substr(0, name.size() - suffix.size());
  }
  return "";
}

}  // namespace

std::string ReadInput(const std::string& path) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) UsageError("cannot read " + path);
  text << in.rdbuf();
  return text.str();
}

Json ParseYaml(const std::string& text, const std::string& source) {
  try {
    return NodeToJson(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    UsageError(source + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

Json ReadDocument(const std::string& path) {
  return ParseYaml(ReadInput(path), path == "-" ? "stdin" : path);
}

std::string ToYaml(const Json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  Emit(out, value);
  return std::string(out.c_str()) + "\n";
}

std::string JsonToMessage(const Json& value, pb::Message* message) {
  Json normalized = value;
  NormalizeEnums(normalized, message->GetDescriptor());
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = pb::util::JsonStringToMessage(normalized.dump(), message, options);
  if (!status.ok()) return std::string(status.message());
  return "";
}

Json MessageToJson(const pb::Message& message, bool defaults) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = defaults;
  std::string text;
  (void)pb::util::MessageToJsonString(message, &text, options);
  return Json::parse(text);
}

std::string ShortEnumName(const pb::EnumDescriptor* type, int number) {
  const pb::EnumValueDescriptor* value = type->FindValueByNumber(number);
  if (value == nullptr) return std::to_string(number);
  std::string name = value->name();
  const std::string prefix = EnumPrefix(type);
  if (!prefix.empty() && name.starts_with(prefix)) name = name.substr(prefix.size());
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return name;
}

int EnumNumber(const pb::EnumDescriptor* type, const std::string& name) {
  if (const auto* value = type->FindValueByName(name)) return value->number();
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  if (const auto* value = type->FindValueByName(EnumPrefix(type) + upper)) return value->number();
  return -1;
}

}  // namespace triggerfish::tfctl
