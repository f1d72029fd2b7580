#include "tools/tfctl/output.h"

#include <algorithm>
#include <iostream>

#include "google/protobuf/util/time_util.h"
#include "tools/tfctl/documents.h"

namespace triggerfish::tfctl {

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  };
  print(header_);
  for (const auto& row : rows_) print(row);
}

void Fields::Print(std::ostream& out, int indent) const {
  size_t width = 0;
  for (const auto& [key, value] : rows_) width = std::max(width, key.size());
  for (const auto& [key, value] : rows_) {
    out << std::string(indent, ' ') << key << ":" << std::string(width - key.size() + 1, ' ')
        << value << "\n";
  }
}

std::string JsonText(const Json& value) { return value.dump(); }

std::string ValueText(const google::protobuf::Value& value, bool present) {
  if (!present || value.kind_case() == google::protobuf::Value::KIND_NOT_SET) return "(absent)";
  return MessageToJson(value).dump();
}

std::string TimeText(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "-";
  google::protobuf::Timestamp seconds = time;
  seconds.set_nanos(0);
  return google::protobuf::util::TimeUtil::ToString(seconds);
}

std::string JoinOrDash(const std::vector<std::string>& items) {
  if (items.empty()) return "-";
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

void PrintJson(const Json& value) { std::cout << value.dump(2) << "\n"; }

}  // namespace triggerfish::tfctl
