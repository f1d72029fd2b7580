#pragma once

// Builds protobuf messages from JSON text in tests, so that test cases read
// like the rules and events users write.

#include <string>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace triggerfish::testing {

template <typename Message>
Message FromJson(const std::string& json) {
  Message message;
  auto status = google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(status.ok()) << "bad test JSON: " << status.ToString() << "\n" << json;
  return message;
}

template <typename Message>
std::string ToJson(const Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace triggerfish::testing
