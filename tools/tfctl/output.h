#pragma once

// Output for people: aligned tables and short renderings of values; and the
// one place JSON for scripts is written.

#include <ostream>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "tools/tfctl/common.h"

namespace triggerfish::tfctl {

// Columns padded to their widest cell; the last column is not padded.
//
//   Table table({"ID", "NAME"});
//   table.Add({"r1", "Urgent outage"});
//   table.Print(std::cout);
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// "key: value" lines with the keys aligned.
class Fields {
 public:
  void Add(std::string key, std::string value) {
    rows_.emplace_back(std::move(key), std::move(value));
  }
  void Print(std::ostream& out, int indent = 0) const;

 private:
  std::vector<std::pair<std::string, std::string>> rows_;
};

// Compact one-line JSON of a value ("email", 3, ["a","b"]); "(absent)" when
// unset.
std::string ValueText(const google::protobuf::Value& value, bool present = true);
std::string JsonText(const Json& value);

// RFC 3339 in UTC, seconds precision; "-" when unset.
std::string TimeText(const google::protobuf::Timestamp& time);

// "a, b, c"; "-" when empty.
std::string JoinOrDash(const std::vector<std::string>& items);

template <typename Repeated>
std::vector<std::string> ToVector(const Repeated& items) {
  return std::vector<std::string>(items.begin(), items.end());
}

// Writes `value` pretty-printed with a newline to stdout.
void PrintJson(const Json& value);

}  // namespace triggerfish::tfctl
