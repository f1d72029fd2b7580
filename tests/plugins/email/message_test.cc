// The email plugin's Message-ID, linked directly: the same operation id
// always gives the same Message-ID, different ones never share one, and
// every Message-ID is a valid RFC 5322 msg-id.
#include "message.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace triggerfish::plugins::email {
namespace {

using ::testing::EndsWith;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

// RFC 5322 atext.
bool IsAtext(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// "<" dot-atom-text "@triggerfish>", where dot-atom-text is atext runs
// joined by single dots.
bool IsMsgId(const std::string& id) {
  const std::string_view suffix = "@triggerfish>";
  if (id.size() <= 1 + suffix.size() || id.front() != '<' || !id.ends_with(suffix)) return false;
  const std::string_view left(id.data() + 1, id.size() - 1 - suffix.size());
  if (left.front() == '.' || left.back() == '.') return false;
  for (size_t i = 0; i < left.size(); ++i) {
    if (left[i] == '.') {
      if (left[i + 1] == '.') return false;
    } else if (!IsAtext(left[i])) {
      return false;
    }
  }
  return true;
}

TEST(MessageIdTest, OperationIdsOfTheServerKeepTheirShape) {
  EXPECT_EQ(MessageIdFor("op-42"), "<op-42@triggerfish>");
  EXPECT_EQ(MessageIdFor("default/evt-1/rule_1/0"), "<default/evt-1/rule_1/0@triggerfish>");
  EXPECT_EQ(MessageIdFor("acme.eu/e.1/r/2"), "<acme.eu/e.1/r/2@triggerfish>");
}

TEST(MessageIdTest, EveryOtherByteIsEscaped) {
  EXPECT_EQ(MessageIdFor("t/zendesk:123/r/0"), "<t/zendesk=3A123/r/0@triggerfish>");
  EXPECT_EQ(MessageIdFor("t/a=b/r/0"), "<t/a=3Db/r/0@triggerfish>");
  EXPECT_EQ(MessageIdFor("t/caf\xc3\xa9/r/0"), "<t/caf=C3=A9/r/0@triggerfish>");
  EXPECT_EQ(MessageIdFor("t/a b<c>@d\"/r/0"), "<t/a=20b=3Cc=3E=40d=22/r/0@triggerfish>");
  EXPECT_EQ(MessageIdFor(std::string("t/\r\n\0/r", 7)), "<t/=0D=0A=00/r@triggerfish>");
}

TEST(MessageIdTest, DotsThatWouldBreakTheDotAtomAreEscaped) {
  EXPECT_EQ(MessageIdFor(".x"), "<=2Ex@triggerfish>");
  EXPECT_EQ(MessageIdFor("x."), "<x=2E@triggerfish>");
  EXPECT_EQ(MessageIdFor("a..b"), "<a=2E.b@triggerfish>");
  EXPECT_EQ(MessageIdFor("..."), "<=2E=2E=2E@triggerfish>");
}

TEST(MessageIdTest, IdsThatUsedToCollideAreDistinct) {
  // Each of these once became "<t_a_b_r_0@triggerfish>".
  const std::vector<std::string> ids = {"t/a_b/r/0", "t/a:b/r/0", "t_a/b/r/0", "t/a b/r/0",
                                        "t/a/b/r/0"};
  std::map<std::string, std::string> seen;
  for (const auto& id : ids) {
    auto [it, added] = seen.emplace(MessageIdFor(id), id);
    EXPECT_TRUE(added) << id << " and " << it->second << " share " << it->first;
  }
}

// Every string of up to four characters over an alphabet of the characters
// that matter: distinct ids, distinct valid Message-IDs, always the same.
TEST(MessageIdTest, AllShortIdsMapOneToOneOntoValidMessageIds) {
  const std::string alphabet = {'a', '.', '=', '_', '/', ':', '\xff'};
  std::vector<std::string> ids = {""};
  for (size_t begin = 0, length = 1; length <= 4; ++length) {
    const size_t end = ids.size();
    for (size_t i = begin; i < end; ++i) {
      for (char c : alphabet) ids.push_back(ids[i] + c);
    }
    begin = end;
  }
  ASSERT_EQ(ids.size(), 1u + 7 + 49 + 343 + 2401);
  std::map<std::string, std::string> seen;
  for (size_t i = 1; i < ids.size(); ++i) {
    const std::string message_id = MessageIdFor(ids[i]);
    ASSERT_TRUE(IsMsgId(message_id)) << "'" << ids[i] << "' gives " << message_id;
    ASSERT_EQ(MessageIdFor(ids[i]), message_id);
    auto [it, added] = seen.emplace(message_id, ids[i]);
    ASSERT_TRUE(added) << "'" << ids[i] << "' and '" << it->second << "' share " << message_id;
  }
  EXPECT_EQ(MessageIdFor(""), "");
}

TEST(MessageIdTest, OverlongIdsAreCutAndKeptApartByAHash) {
  const std::string base(1200, ':');  // 3,600 characters escaped
  const std::string a = MessageIdFor(base + "a");
  const std::string b = MessageIdFor(base + "b");
  EXPECT_NE(a, b);
  EXPECT_EQ(a, MessageIdFor(base + "a"));
  for (const std::string& id : {a, b}) {
    EXPECT_TRUE(IsMsgId(id)) << id;
    EXPECT_LE(id.size(), 1 + 900 + std::string_view("@triggerfish>").size());
    EXPECT_THAT(id, StartsWith("<=3A=3A"));
    EXPECT_THAT(id, MatchesRegex(".*=3A=h[0-9a-f]{16}@triggerfish>"));
  }
  // A cut never leaves part of an escape before the hash, wherever it falls.
  for (size_t pad = 0; pad < 3; ++pad) {
    const std::string id = MessageIdFor(std::string(pad, 'x') + base);
    EXPECT_THAT(id, MatchesRegex("<x*(=3A)+=h[0-9a-f]{16}@triggerfish>")) << pad;
  }
  // The longest id the server makes (128-character tenant, event id of 128
  // bytes that all need escaping, 63-character rule id) is not cut.
  const std::string longest =
      std::string(128, 't') + "/" + std::string(128, '\xe9') + "/" + std::string(63, 'r') + "/99";
  EXPECT_THAT(MessageIdFor(longest), Not(::testing::HasSubstr("=h")));
  EXPECT_THAT(MessageIdFor(longest), EndsWith("/99@triggerfish>"));
}

}  // namespace
}  // namespace triggerfish::plugins::email
