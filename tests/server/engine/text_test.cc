// Unicode case folding used by ignore_case.

#include "server/engine/text.h"

#include "gtest/gtest.h"

namespace triggerfish::server::engine {
namespace {

TEST(FoldCaseTest, AsciiIsLowerCased) {
  EXPECT_EQ(FoldCase("Refund PLEASE 123!"), "refund please 123!");
  EXPECT_EQ(FoldCase(""), "");
}

TEST(FoldCaseTest, StringsEqualUpToCaseFoldToTheSameBytes) {
  EXPECT_EQ(FoldCase("ÄRGER"), FoldCase("ärger"));
  EXPECT_EQ(FoldCase("ÄRGER"), "ärger");
  EXPECT_EQ(FoldCase("ÉCOLE Ç"), "école ç");
  EXPECT_EQ(FoldCase("ЖАЛОБА"), "жалоба");
  EXPECT_EQ(FoldCase("ΣΟΦΟΣ"), FoldCase("σοφος"));  // final sigma
  EXPECT_EQ(FoldCase("ΣΟΦΟΣ"), FoldCase("Σοφοσ"));
  EXPECT_EQ(FoldCase("ĞÜŞÖÇ"), "ğüşöç");
  EXPECT_EQ(FoldCase("ŁÓDŹ"), "łódź");
}

TEST(FoldCaseTest, UncasedAndSupplementaryCharactersAreKept) {
  EXPECT_EQ(FoldCase("東京 ß 😀"), "東京 ß 😀");
  EXPECT_EQ(FoldCase("𐐀"), "𐐨");  // Deseret, outside the BMP
}

TEST(FoldCaseTest, InvalidUtf8IsCopiedUnchanged) {
  const std::string bad = std::string("A\xC3") + "B\xFF" + "\xE2\x82";
  EXPECT_EQ(FoldCase(bad), std::string("a\xC3") + "b\xFF" + "\xE2\x82");
}

}  // namespace
}  // namespace triggerfish::server::engine
