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

TEST(FoldCaseTest, CharactersWhoseFoldIsNotTheirLowerCaseFoldLikeTheirLetters) {
  // Unicode simple case folding maps these to another letter than
  // lower-casing does: the micro sign to Greek mu, long s to s, the Greek
  // symbol variants to their letters.
  EXPECT_EQ(FoldCase("5 µg"), FoldCase("5 ΜG"));
  EXPECT_EQ(FoldCase("5 µg"), FoldCase("5 μg"));
  EXPECT_EQ(FoldCase("Maſs"), FoldCase("MASS"));
  EXPECT_EQ(FoldCase("ϐϑϕϖϰϱϵ"), FoldCase("ΒΘΦΠΚΡΕ"));
  EXPECT_EQ(FoldCase("ẛ"), FoldCase("Ṡ"));
  EXPECT_EQ(FoldCase("ι"), FoldCase("Ι"));
  EXPECT_EQ(FoldCase("\u0345"), FoldCase("\u0399"));
  EXPECT_EQ(FoldCase("ẞ"), FoldCase("ß"));
  EXPECT_EQ(FoldCase("K Å Ω"), FoldCase("k å ω"));  // Kelvin, Angstrom, Ohm signs
}

TEST(FoldCaseTest, InvalidUtf8IsCopiedUnchanged) {
  const std::string bad = std::string("A\xC3") + "B\xFF" + "\xE2\x82";
  EXPECT_EQ(FoldCase(bad), std::string("a\xC3") + "b\xFF" + "\xE2\x82");
}

}  // namespace
}  // namespace triggerfish::server::engine
