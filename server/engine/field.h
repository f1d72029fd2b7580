#pragma once

// The fields a condition can address ("ticket.priority",
// "ticket.custom_fields.plan", "comment.body", ...), their static types, and
// compiled accessors that read them from an event without allocating.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "triggerfish/v1/event.pb.h"

namespace triggerfish::server::engine {

// Static type of a field, known when a rule is saved.
enum class FieldType {
  kText,
  kBool,
  kNumber,
  kTimestamp,
  kStatus,    // ordered enum
  kPriority,  // ordered enum
  kTags,      // list of strings
  kDynamic,   // custom field: type known only at evaluation time
};

// Runtime kind of a value read from an event.
enum class ValueKind : uint8_t { kAbsent, kBool, kNumber, kText, kTimestamp, kEnum, kList, kOther };

// A value read from an event. Views point into the event/ticket, which must
// outlive it.
struct FieldValue {
  ValueKind kind = ValueKind::kAbsent;
  bool boolean = false;
  double number = 0;                         // kNumber
  int64_t micros = 0;                        // kTimestamp: microseconds since the Unix epoch
  int rank = 0;                              // kEnum: the enum's number (its order)
  FieldType enum_type = FieldType::kStatus;  // kEnum: which enum
  std::string_view text;                     // kText
  const google::protobuf::RepeatedPtrField<std::string>* tags = nullptr;  // kList
  const google::protobuf::ListValue* list = nullptr;                      // kList
};

// Input of one evaluation: the event, the working ticket (the event's ticket
// with the patches of rules that already fired), the previous ticket and the
// evaluation instant.
struct EvalInput {
  const v1::Event* event = nullptr;
  const v1::Ticket* ticket = nullptr;
  const v1::Ticket* previous = nullptr;  // null when the event has none
  int64_t now_micros = 0;
};

// Bits naming the parts of a ticket that a field reads or a patch changes,
// so that the trigger cycle re-evaluates after a patch only the conditions
// that read what changed. Custom fields share the high bits by a hash of
// their name (a collision only costs a re-evaluation).
namespace field_bits {
inline constexpr uint64_t kSubject = 1 << 1;
inline constexpr uint64_t kStatus = 1 << 3;
inline constexpr uint64_t kPriority = 1 << 4;
inline constexpr uint64_t kType = 1 << 5;
inline constexpr uint64_t kTags = 1 << 7;
inline constexpr uint64_t kAssignee = 1 << 9;
inline constexpr uint64_t kGroup = 1 << 10;
uint64_t CustomField(std::string_view name);
}  // namespace field_bits

// A resolved field path.
class FieldRef {
 public:
  using Getter = FieldValue (*)(const EvalInput&, const v1::Ticket&, const std::string& key);

  // Resolves `path`; nullopt when it names no field.
  static std::optional<FieldRef> Resolve(std::string_view path);

  // Reads the field for `in`, taking ticket fields from `ticket` (the working
  // ticket, or the previous ticket for changed* operators).
  FieldValue Get(const EvalInput& in, const v1::Ticket& ticket) const {
    return getter_(in, ticket, key_);
  }
  FieldType type() const { return type_; }
  // Whether the field belongs to the ticket (and so can be compared with
  // event.previous by changed* operators).
  bool is_ticket_field() const { return ticket_field_; }
  // Whether the value is computed (e.g. hours_since_created).
  bool is_computed() const { return computed_; }
  const std::string& path() const { return path_; }
  // For custom fields, the field name; empty otherwise.
  const std::string& key() const { return key_; }
  // field_bits of the ticket data the field reads (0 for event fields).
  uint64_t reads() const { return reads_; }

 private:
  std::string path_;
  std::string key_;
  FieldType type_ = FieldType::kText;
  bool ticket_field_ = false;
  bool computed_ = false;
  uint64_t reads_ = 0;
  Getter getter_ = nullptr;
};

// Every addressable field path, for error messages ("did you mean ...").
const std::vector<std::string>& KnownFieldPaths();

// The closest known field path to `path`, or empty when none is close.
std::string SuggestField(std::string_view path);

// Lower-case names of ticket statuses / priorities by their enum number.
std::string_view StatusName(int rank);
std::string_view PriorityName(int rank);
// Parses a lower-case (any case accepted) enum name; nullopt when unknown.
std::optional<int> ParseStatus(std::string_view name);
std::optional<int> ParsePriority(std::string_view name);

// Human-readable name of a field type ("text", "number", ...).
std::string_view FieldTypeName(FieldType type);

// Converts a value read from an event to a google.protobuf.Value for
// explanations (timestamps as RFC 3339 strings, enums as names). Absent
// values yield an unset Value (no kind).
google::protobuf::Value ToProtoValue(const FieldValue& value);

// Parses an RFC 3339 timestamp into microseconds since the epoch.
std::optional<int64_t> ParseTimestampMicros(std::string_view text);
std::string FormatTimestampMicros(int64_t micros);

}  // namespace triggerfish::server::engine
