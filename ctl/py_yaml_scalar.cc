#include "ctl/py_yaml_scalar.h"

#include <regex>

#include "ctl/py_yaml.h"
#include "pgha/base/utf8.h"

namespace pgha::ctl::internal {
namespace {

bool MatchesPy(const std::regex& re, const std::string& text) {
  // Python's `$` also matches before one final newline.
  if (std::regex_match(text, re)) return true;
  return !text.empty() && text.back() == '\n' &&
         std::regex_match(text.substr(0, text.size() - 1), re);
}

}  // namespace

std::u32string DecodeUtf8(const std::string& s) {
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t extra = c >= 0xF0 && c < 0xF8   ? 3
                   : c >= 0xE0 && c < 0xF0 ? 2
                   : c >= 0xC0 && c < 0xE0 ? 1
                                           : 0;
    bool valid = extra > 0 && i + extra < s.size();
    for (size_t k = 1; valid && k <= extra; ++k) {
      valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    if (!valid) {
      out.push_back(c);  // ASCII, or a stray byte kept as its Latin-1 code point
      ++i;
      continue;
    }
    char32_t cp = c & (0x3F >> extra);
    for (size_t k = 1; k <= extra; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += extra + 1;
  }
  return out;
}

std::string EncodeUtf8(const std::u32string& s) {
  std::string out;
  for (char32_t cp : s) AppendUtf8(cp, &out);
  return out;
}

bool IsBreak(char32_t c) { return c == U'\n' || c == 0x85 || c == 0x2028 || c == 0x2029; }

namespace {

bool IsSpaceOrBreak(char32_t c) {
  return c == 0 || c == U' ' || c == U'\t' || c == U'\r' || IsBreak(c);
}
bool IsIn(char32_t c, const char* set) {
  for (const char* p = set; *p; ++p) {
    if (static_cast<char32_t>(static_cast<unsigned char>(*p)) == c) return true;
  }
  return false;
}

}  // namespace

Analysis Analyze(const std::u32string& s) {
  Analysis a;
  if (s.empty()) {
    a.empty = true;
    a.allow_flow_plain = false;
    return a;
  }
  bool block_ind = false, flow_ind = false, line_breaks = false, special = false;
  bool leading_space = false, leading_break = false, trailing_space = false, trailing_break = false;
  bool break_space = false, space_break = false;
  if (s.compare(0, 3, U"---") == 0 || s.compare(0, 3, U"...") == 0) block_ind = flow_ind = true;
  bool preceded_ws = true;
  bool followed_ws = s.size() == 1 || IsSpaceOrBreak(s[1]);
  bool prev_space = false, prev_break = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char32_t ch = s[i];
    if (i == 0) {
      if (IsIn(ch, "#,[]{}&*!|>'\"%@`")) flow_ind = block_ind = true;
      if (ch == U'?' || ch == U':') {
        flow_ind = true;
        if (followed_ws) block_ind = true;
      }
      if (ch == U'-' && followed_ws) flow_ind = block_ind = true;
    } else {
      if (IsIn(ch, ",?[]{}")) flow_ind = true;
      if (ch == U':') {
        flow_ind = true;
        if (followed_ws) block_ind = true;
      }
      if (ch == U'#' && preceded_ws) flow_ind = block_ind = true;
    }
    if (IsBreak(ch)) line_breaks = true;
    if (!(ch == U'\n' || (ch >= 0x20 && ch <= 0x7E))) {
      bool unicode = (ch == 0x85 || (ch >= 0xA0 && ch <= 0xD7FF) ||
                      (ch >= 0xE000 && ch <= 0xFFFD) || (ch >= 0x10000 && ch < 0x10FFFF)) &&
                     ch != 0xFEFF;
      if (!unicode) special = true;
    }
    if (ch == U' ') {
      if (i == 0) leading_space = true;
      if (i == s.size() - 1) trailing_space = true;
      if (prev_break) break_space = true;
      prev_space = true;
      prev_break = false;
    } else if (IsBreak(ch)) {
      if (i == 0) leading_break = true;
      if (i == s.size() - 1) trailing_break = true;
      if (prev_space) space_break = true;
      prev_space = false;
      prev_break = true;
    } else {
      prev_space = prev_break = false;
    }
    preceded_ws = IsSpaceOrBreak(ch);
    followed_ws = i + 2 >= s.size() || IsSpaceOrBreak(s[i + 2]);
  }
  if (leading_space || leading_break || trailing_space || trailing_break) {
    a.allow_flow_plain = a.allow_block_plain = false;
  }
  if (break_space) a.allow_flow_plain = a.allow_block_plain = a.allow_single_quoted = false;
  if (space_break || special)
    a.allow_flow_plain = a.allow_block_plain = a.allow_single_quoted = false;
  if (line_breaks) a.allow_flow_plain = a.allow_block_plain = false;
  if (flow_ind) a.allow_flow_plain = false;
  if (block_ind) a.allow_block_plain = false;
  a.multiline = line_breaks;
  return a;
}

}  // namespace pgha::ctl::internal

namespace pgha::ctl {

bool PlainScalarIsNotString(const std::string& text) {
  // PyYAML's implicit resolvers (resolver.py), in its order.
  static const std::regex kBool(
      "(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)");
  static const std::regex kFloat(
      "(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?"
      "|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
      "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*"
      "|[-+]?\\.(?:inf|Inf|INF)"
      "|\\.(?:nan|NaN|NAN))");
  static const std::regex kInt(
      "(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
      "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)");
  static const std::regex kMerge("<<");
  static const std::regex kNull("(?:~|null|Null|NULL|)");
  static const std::regex kTimestamp(
      "(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
      "|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \\t]+)[0-9][0-9]?"
      ":[0-9][0-9]:[0-9][0-9](?:\\.[0-9]*)?(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)");
  static const std::regex kValue("=");
  static const std::regex kYaml("(?:!|&|\\*)");
  for (const std::regex* re :
       {&kBool, &kFloat, &kInt, &kMerge, &kNull, &kTimestamp, &kValue, &kYaml}) {
    if (internal::MatchesPy(*re, text)) return true;
  }
  return false;
}

}  // namespace pgha::ctl
