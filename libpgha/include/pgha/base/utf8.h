// Strict UTF-8 decoding, one code point at a time: what names, keys and JSON output need when
// the bytes came from another process (a DCS value, a request path) and may be anything.
//
// Thread-safety: pure functions.
#ifndef PGHA_BASE_UTF8_H_
#define PGHA_BASE_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace pgha {

// The code point that starts at `*pos`, advancing `*pos` past it. Bytes that are not a
// well-formed sequence (a stray continuation byte, a truncated sequence, an overlong form, a
// surrogate, a value above U+10FFFF) return -1 and advance past their maximal subpart: the lead
// byte and the continuation bytes that could still have completed it, one error for all of
// them, as Python's decode(errors="replace") counts them (Unicode's "U+FFFD substitution of
// maximal subparts").
inline long NextCodePoint(std::string_view text, size_t* pos) {
  size_t i = *pos;
  unsigned char c = static_cast<unsigned char>(text[i]);
  *pos = i + 1;
  if (c < 0x80) return c;
  int extra = 0;
  unsigned char second_min = 0x80, second_max = 0xbf;  // what may follow this lead byte
  if (c >= 0xc2 && c <= 0xdf) {
    extra = 1;
  } else if (c >= 0xe0 && c <= 0xef) {
    extra = 2;
    if (c == 0xe0) second_min = 0xa0;  // no overlong forms
    if (c == 0xed) second_max = 0x9f;  // no surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    extra = 3;
    if (c == 0xf0) second_min = 0x90;  // no overlong forms
    if (c == 0xf4) second_max = 0x8f;  // nothing above U+10FFFF
  } else {
    return -1;
  }
  long cp = c & (0x3f >> extra);
  for (int k = 1; k <= extra; ++k) {
    if (i + k >= text.size()) return -1;
    unsigned char cc = static_cast<unsigned char>(text[i + k]);
    bool fits = k == 1 ? cc >= second_min && cc <= second_max : (cc & 0xc0) == 0x80;
    if (!fits) return -1;
    cp = (cp << 6) | (cc & 0x3f);
    *pos = i + k + 1;
  }
  return cp;
}

// Whether every byte of `text` belongs to a well-formed sequence.
inline bool IsValidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (NextCodePoint(text, &pos) < 0) return false;
  }
  return true;
}

// Appends code point `cp` (at most U+10FFFF, not a surrogate) as UTF-8.
inline void AppendUtf8(char32_t cp, std::string* out) {
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

// The code points of `text`, each ill-formed part U+FFFD: Python's decode(errors="replace").
inline std::u32string DecodeUtf8(std::string_view text) {
  std::u32string out;
  size_t pos = 0;
  while (pos < text.size()) {
    long cp = NextCodePoint(text, &pos);
    out.push_back(cp < 0 ? U'\uFFFD' : static_cast<char32_t>(cp));
  }
  return out;
}

inline std::string EncodeUtf8(std::u32string_view code_points) {
  std::string out;
  for (char32_t cp : code_points) AppendUtf8(cp, &out);
  return out;
}

}  // namespace pgha

#endif  // PGHA_BASE_UTF8_H_
