// The plugin ABI's JSON documents made from the API's protobuf types.

#include "server/actions/plugin_json.h"

#include <cstdint>
#include <random>

#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace triggerfish::server::actions {
namespace {

using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;

Timestamp At(int64_t seconds, int32_t nanos) {
  Timestamp t;
  t.set_seconds(seconds);
  t.set_nanos(nanos);
  return t;
}

TEST(TimestampToJsonTest, WritesRfc3339AsTimeUtilDoes) {
  EXPECT_EQ(TimestampToJson(At(0, 0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(TimestampToJson(At(1772496000, 0)), "2026-03-03T00:00:00Z");
  EXPECT_EQ(TimestampToJson(At(1772496000, 5000000)), "2026-03-03T00:00:00.005Z");
  EXPECT_EQ(TimestampToJson(At(1772496000, 5000)), "2026-03-03T00:00:00.000005Z");
  EXPECT_EQ(TimestampToJson(At(1772496000, 5)), "2026-03-03T00:00:00.000000005Z");
  EXPECT_EQ(TimestampToJson(At(951782400, 0)), "2000-02-29T00:00:00Z");
  EXPECT_EQ(TimestampToJson(At(-62135596800, 0)), "0001-01-01T00:00:00Z");
  EXPECT_EQ(TimestampToJson(At(253402300799, 999999999)), "9999-12-31T23:59:59.999999999Z");
  EXPECT_EQ(TimestampToJson(At(-1, 0)), "1969-12-31T23:59:59Z");
}

TEST(TimestampToJsonTest, AgreesWithTimeUtilAcrossTheWholeRange) {
  std::mt19937_64 random(20261126);
  std::uniform_int_distribution<int64_t> seconds(-62135596800, 253402300799);
  std::uniform_int_distribution<int32_t> nanos(0, 999999999);
  for (int i = 0; i < 200000; ++i) {
    int32_t n = 0;
    switch (i % 4) {  // each fraction width, and none
      case 1:
        n = nanos(random) / 1000000 * 1000000;
        break;
      case 2:
        n = nanos(random) / 1000 * 1000;
        break;
      case 3:
        n = nanos(random);
        break;
    }
    const Timestamp t = At(seconds(random), n);
    ASSERT_EQ(TimestampToJson(t), TimeUtil::ToString(t)) << t.ShortDebugString();
  }
}

TEST(TimestampToJsonTest, LeavesOutOfRangeValuesToTimeUtil) {
  for (const Timestamp& t : {At(253402300800, 0), At(-62135596801, 0), At(0, -1)}) {
    EXPECT_EQ(TimestampToJson(t), TimeUtil::ToString(t)) << t.ShortDebugString();
  }
}

TEST(TicketToJsonTest, WritesTimestampsInRfc3339) {
  v1::Ticket ticket;
  ticket.set_id("T1");
  *ticket.mutable_created_at() = At(1772496000, 250000000);
  *ticket.mutable_updated_at() = At(1772499600, 0);
  const nlohmann::json j = TicketToJson(ticket);
  EXPECT_EQ(j.at("created_at"), "2026-03-03T00:00:00.250Z");
  EXPECT_EQ(j.at("updated_at"), "2026-03-03T01:00:00Z");
}

}  // namespace
}  // namespace triggerfish::server::actions
