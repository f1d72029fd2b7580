// Field paths, enum names and timestamps as conditions see them.

#include "server/engine/field.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace triggerfish::server::engine {
namespace {

TEST(FieldTest, EveryDocumentedFieldResolvesWithItsType) {
  const std::pair<const char*, FieldType> fields[] = {
      {"ticket.id", FieldType::kText},
      {"ticket.subject", FieldType::kText},
      {"ticket.description", FieldType::kText},
      {"ticket.status", FieldType::kStatus},
      {"ticket.priority", FieldType::kPriority},
      {"ticket.type", FieldType::kText},
      {"ticket.channel", FieldType::kText},
      {"ticket.tags", FieldType::kTags},
      {"ticket.requester.id", FieldType::kText},
      {"ticket.requester.email", FieldType::kText},
      {"ticket.requester.name", FieldType::kText},
      {"ticket.requester.organization", FieldType::kText},
      {"ticket.assignee_id", FieldType::kText},
      {"ticket.group_id", FieldType::kText},
      {"ticket.created_at", FieldType::kTimestamp},
      {"ticket.updated_at", FieldType::kTimestamp},
      {"ticket.custom_fields.plan", FieldType::kDynamic},
      {"ticket.hours_since_created", FieldType::kNumber},
      {"ticket.hours_since_updated", FieldType::kNumber},
      {"comment.id", FieldType::kText},
      {"comment.body", FieldType::kText},
      {"comment.public", FieldType::kBool},
      {"comment.author_id", FieldType::kText},
      {"event.type", FieldType::kText},
      {"event.actor", FieldType::kText},
  };
  for (const auto& [path, type] : fields) {
    SCOPED_TRACE(path);
    auto ref = FieldRef::Resolve(path);
    ASSERT_TRUE(ref.has_value());
    EXPECT_EQ(ref->type(), type);
    EXPECT_EQ(ref->path(), path);
    const bool listed = std::find(KnownFieldPaths().begin(), KnownFieldPaths().end(), path) !=
                        KnownFieldPaths().end();
    EXPECT_TRUE(listed || std::string_view(path).starts_with("ticket.custom_fields."));
  }
  EXPECT_EQ(FieldRef::Resolve("ticket.custom_fields.plan")->key(), "plan");
  EXPECT_FALSE(FieldRef::Resolve("ticket.requester").has_value());
  EXPECT_FALSE(FieldRef::Resolve("Ticket.status").has_value());
}

TEST(FieldTest, EnumNames) {
  EXPECT_EQ(ParseStatus("on_hold"), 4);
  EXPECT_EQ(ParseStatus("Closed"), 6);
  EXPECT_EQ(ParseStatus("unspecified"), std::nullopt);
  EXPECT_EQ(ParseStatus("onhold"), std::nullopt);
  EXPECT_EQ(ParsePriority("URGENT"), 4);
  EXPECT_EQ(ParsePriority(""), std::nullopt);
  EXPECT_EQ(StatusName(3), "pending");
  EXPECT_EQ(PriorityName(1), "low");
}

TEST(FieldTest, TimestampsParseWithOffsetsAndFormatInUtc) {
  EXPECT_EQ(ParseTimestampMicros("2026-01-31T11:00:00+02:00"),
            ParseTimestampMicros("2026-01-31T09:00:00Z"));
  EXPECT_EQ(ParseTimestampMicros("1970-01-01T00:00:01.5Z"), 1'500'000);
  EXPECT_EQ(ParseTimestampMicros("2026-01-31"), std::nullopt);
  EXPECT_EQ(ParseTimestampMicros("2026-01-31 09:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseTimestampMicros("tomorrow"), std::nullopt);
  EXPECT_EQ(FormatTimestampMicros(1'500'000), "1970-01-01T00:00:01.500Z");
}

}  // namespace
}  // namespace triggerfish::server::engine
