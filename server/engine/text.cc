#include "server/engine/text.h"

#include <locale.h>
#include <wctype.h>

#include <cstdint>

namespace triggerfish::server::engine {
namespace {

locale_t Utf8Locale() {
  static const locale_t locale = [] {
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
    return l;
  }();
  return locale;
}

// Decodes one UTF-8 sequence at `text[*pos]`; returns -1 (and advances by one
// byte) when it is not valid UTF-8.
int32_t Decode(std::string_view text, size_t* pos) {
  const auto b0 = static_cast<unsigned char>(text[*pos]);
  int length = 0;
  int32_t cp = 0;
  if (b0 < 0x80) {
    ++*pos;
    return b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    length = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4;
    cp = b0 & 0x07;
  } else {
    ++*pos;
    return -1;
  }
  if (*pos + length > text.size()) {
    ++*pos;
    return -1;
  }
  for (int i = 1; i < length; ++i) {
    const auto b = static_cast<unsigned char>(text[*pos + i]);
    if ((b & 0xC0) != 0x80) {
      ++*pos;
      return -1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *pos += length;
  return cp;
}

void Encode(int32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Code points whose Unicode simple case folding (CaseFolding.txt, status C
// and S) differs from their lower-case mapping: lower-casing leaves them
// as they are, folding maps them to the letter they are a variant of.
int32_t FoldException(int32_t cp) {
  switch (cp) {
    case 0x00B5:  // micro sign
      return 0x03BC;
    case 0x017F:  // long s
      return 0x0073;
    case 0x0345:  // combining ypogegrammeni
    case 0x1FBE:  // prosgegrammeni
      return 0x03B9;
    case 0x03C2:  // final sigma
      return 0x03C3;
    case 0x03D0:
      return 0x03B2;
    case 0x03D1:
      return 0x03B8;
    case 0x03D5:
      return 0x03C6;
    case 0x03D6:
      return 0x03C0;
    case 0x03F0:
      return 0x03BA;
    case 0x03F1:
      return 0x03C1;
    case 0x03F5:
      return 0x03B5;
    case 0x1E9B:  // long s with dot above
      return 0x1E61;
    default:
      return -1;
  }
}

}  // namespace

std::string FoldCase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const locale_t locale = Utf8Locale();
  size_t pos = 0;
  while (pos < text.size()) {
    const auto b0 = static_cast<unsigned char>(text[pos]);
    if (b0 < 0x80) {  // ASCII fast path
      out.push_back(static_cast<char>(b0 >= 'A' && b0 <= 'Z' ? b0 + 32 : b0));
      ++pos;
      continue;
    }
    const size_t start = pos;
    int32_t cp = Decode(text, &pos);
    if (cp < 0) {
      out.push_back(text[start]);
      continue;
    }
    if (const int32_t folded = FoldException(cp); folded >= 0) {
      cp = folded;
    } else if (locale != static_cast<locale_t>(0)) {
      cp = static_cast<int32_t>(towlower_l(static_cast<wint_t>(cp), locale));
    }
    Encode(cp, &out);
  }
  return out;
}

}  // namespace triggerfish::server::engine
