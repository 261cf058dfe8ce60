// PyYAML's yaml.safe_dump (pycompat_yaml.h): a port of the parts of its Emitter that JSON data
// reaches (no anchors, tags or explicit documents), with allow_unicode=True.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>
#include <vector>

#include "pgha/base/pycompat.h"
#include "pgha/base/pycompat_yaml.h"
#include "pgha/base/utf8.h"

namespace pgha::py {
namespace {

// '\n', NEL, LS, PS: what YAML treats as line breaks.
bool IsBreak(char32_t c) { return c == U'\n' || c == 0x85 || c == 0x2028 || c == 0x2029; }

bool IsSpaceOrBreak(char32_t c) {
  return c == 0 || c == U' ' || c == U'\t' || c == U'\r' || IsBreak(c);
}
bool IsIn(char32_t c, const char* set) {
  for (const char* p = set; *p; ++p) {
    if (static_cast<char32_t>(static_cast<unsigned char>(*p)) == c) return true;
  }
  return false;
}

struct Analysis {
  bool empty = false, multiline = false;
  bool allow_flow_plain = true, allow_block_plain = true, allow_single_quoted = true;
};

// Emitter.analyze_scalar: which styles may write the text.
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

struct Scalar {
  std::u32string text;
  bool implicit_plain = true;  // written plain, it reads back as the same type
};

Scalar MakeScalar(const Json& v) {
  Scalar s;
  switch (v.type()) {
    case Json::value_t::string: {
      const std::string& text = v.get_ref<const std::string&>();
      s.text = DecodeUtf8(text);
      s.implicit_plain = ResolveYamlScalar(text) == YamlTag::kStr;
      return s;
    }
    case Json::value_t::boolean:
      s.text = v.get<bool>() ? U"true" : U"false";
      return s;
    case Json::value_t::number_float: {
      double d = v.get<double>();
      std::string text;
      if (d != d) {
        text = ".nan";
      } else if (d == std::numeric_limits<double>::infinity()) {
        text = ".inf";
      } else if (d == -std::numeric_limits<double>::infinity()) {
        text = "-.inf";
      } else {
        text = FloatRepr(d);  // already lower case
        if (text.find('.') == std::string::npos && text.find('e') != std::string::npos) {
          text.replace(text.find('e'), 1, ".0e");
        }
      }
      s.text = DecodeUtf8(text);
      return s;
    }
    case Json::value_t::null:
      s.text = U"null";
      return s;
    default:
      s.text = DecodeUtf8(v.dump());  // integers
      return s;
  }
}

// A port of the parts of PyYAML's Emitter that safe_dump of JSON data reaches. Member names
// follow PyYAML's so that the two can be read side by side.
class Emitter {
 public:
  explicit Emitter(YamlDumpStyle style) : flow_style_(style.flow), best_width_(style.width) {}

  std::string Dump(const Json& value) {
    ExpectNode(value, /*root=*/true, false, false, false);
    WriteIndent();  // document end
    if (open_ended_) {
      WriteIndicator(U"...", true);
      WriteIndent();
    }
    return EncodeUtf8(out_);
  }

 private:
  static constexpr int kBestIndent = 2;

  void ExpectNode(const Json& v, bool root, bool sequence, bool mapping, bool simple_key) {
    root_context_ = root;
    sequence_context_ = sequence;
    mapping_context_ = mapping;
    simple_key_context_ = simple_key;
    if (v.is_object()) {
      if (flow_level_ > 0 || flow_style_ || v.empty()) {
        FlowMapping(v);
      } else {
        BlockMapping(v);
      }
    } else if (v.is_array()) {
      if (flow_level_ > 0 || flow_style_ || v.empty()) {
        FlowSequence(v);
      } else {
        BlockSequence(v);
      }
    } else {
      IncreaseIndent(true, false);
      ProcessScalar(MakeScalar(v));
      PopIndent();
    }
  }

  static std::vector<std::string> SortedKeys(const Json& v) {
    std::vector<std::string> keys;
    for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
    std::sort(keys.begin(), keys.end());  // byte order of UTF-8 == code point order
    return keys;
  }

  // check_simple_key: the key's length counts its prepared tag too, "!!str" for a string, so
  // the longest simple key has 122 characters.
  static bool CheckSimpleKey(const std::string& key) {
    std::u32string text = DecodeUtf8(key);
    Analysis a = Analyze(text);
    return text.size() + 5 < 128 && !a.empty && !a.multiline;
  }

  void FlowSequence(const Json& v) {
    WriteIndicator(U"[", true, true);
    ++flow_level_;
    IncreaseIndent(true, false);
    bool first = true;
    for (const auto& item : v) {
      if (!first) WriteIndicator(U",", false);
      if (column_ > best_width_) WriteIndent();
      ExpectNode(item, false, true, false, false);
      first = false;
    }
    PopIndent();
    --flow_level_;
    WriteIndicator(U"]", false);
  }

  void FlowMapping(const Json& v) {
    WriteIndicator(U"{", true, true);
    ++flow_level_;
    IncreaseIndent(true, false);
    bool first = true;
    for (const auto& key : SortedKeys(v)) {
      if (!first) WriteIndicator(U",", false);
      if (column_ > best_width_) WriteIndent();
      if (CheckSimpleKey(key)) {
        ExpectNode(Json(key), false, false, true, true);
        WriteIndicator(U":", false);
      } else {
        WriteIndicator(U"?", true);
        ExpectNode(Json(key), false, false, true, false);
        if (column_ > best_width_) WriteIndent();
        WriteIndicator(U":", true);
      }
      ExpectNode(v[key], false, false, true, false);
      first = false;
    }
    PopIndent();
    --flow_level_;
    WriteIndicator(U"}", false);
  }

  void BlockSequence(const Json& v) {
    bool indentless = mapping_context_ && !indention_;
    IncreaseIndent(false, indentless);
    for (const auto& item : v) {
      WriteIndent();
      WriteIndicator(U"-", true, false, true);
      ExpectNode(item, false, true, false, false);
    }
    PopIndent();
  }

  void BlockMapping(const Json& v) {
    IncreaseIndent(false, false);
    for (const auto& key : SortedKeys(v)) {
      WriteIndent();
      if (CheckSimpleKey(key)) {
        ExpectNode(Json(key), false, false, true, true);
        WriteIndicator(U":", false);
      } else {
        WriteIndicator(U"?", true, false, true);
        ExpectNode(Json(key), false, false, true, false);
        WriteIndent();
        WriteIndicator(U":", true, false, true);
      }
      ExpectNode(v[key], false, false, true, false);
    }
    PopIndent();
  }

  void IncreaseIndent(bool flow, bool indentless) {
    indents_.push_back(indent_);
    if (!indent_) {
      indent_ = flow ? kBestIndent : 0;
    } else if (!indentless) {
      *indent_ += kBestIndent;
    }
  }

  void PopIndent() {
    indent_ = indents_.back();
    indents_.pop_back();
  }

  void ProcessScalar(const Scalar& s) {
    Analysis a = Analyze(s.text);
    bool split = !simple_key_context_;
    if (s.implicit_plain && !(simple_key_context_ && (a.empty || a.multiline)) &&
        ((flow_level_ > 0 && a.allow_flow_plain) || (flow_level_ == 0 && a.allow_block_plain))) {
      WritePlain(s.text, split);
    } else if (a.allow_single_quoted && !(simple_key_context_ && a.multiline)) {
      WriteSingleQuoted(s.text, split);
    } else {
      WriteDoubleQuoted(s.text, split);
    }
  }

  void Write(const std::u32string& data) {
    out_ += data;
    column_ += static_cast<int>(data.size());
  }

  void WriteIndicator(const std::u32string& indicator, bool need_whitespace,
                      bool whitespace = false, bool indention = false) {
    std::u32string data = (whitespace_ || !need_whitespace) ? indicator : U" " + indicator;
    whitespace_ = whitespace;
    indention_ = indention_ && indention;
    open_ended_ = false;
    Write(data);
  }

  void WriteIndent() {
    int indent = indent_.value_or(0);
    if (!indention_ || column_ > indent || (column_ == indent && !whitespace_)) WriteLineBreak();
    if (column_ < indent) {
      whitespace_ = true;
      Write(std::u32string(indent - column_, U' '));
    }
  }

  void WriteLineBreak(char32_t data = U'\n') {
    whitespace_ = true;
    indention_ = true;
    column_ = 0;
    out_.push_back(data);
  }

  void WriteBreaks(const std::u32string& text, size_t start, size_t end) {
    if (text[start] == U'\n') WriteLineBreak();
    for (size_t k = start; k < end; ++k) WriteLineBreak(text[k]);
    WriteIndent();
  }

  void WritePlain(const std::u32string& text, bool split) {
    if (root_context_) open_ended_ = true;
    if (text.empty()) return;
    if (!whitespace_) Write(U" ");
    whitespace_ = indention_ = false;
    bool spaces = false, breaks = false;
    size_t start = 0;
    for (size_t end = 0; end <= text.size(); ++end) {
      bool none = end == text.size();
      char32_t ch = none ? 0 : text[end];
      if (spaces) {
        if (none || ch != U' ') {
          if (start + 1 == end && column_ > best_width_ && split) {
            WriteIndent();
            whitespace_ = indention_ = false;
          } else {
            Write(text.substr(start, end - start));
          }
          start = end;
        }
      } else if (breaks) {
        if (none || !IsBreak(ch)) {
          WriteBreaks(text, start, end);
          whitespace_ = indention_ = false;
          start = end;
        }
      } else if (none || ch == U' ' || IsBreak(ch)) {
        Write(text.substr(start, end - start));
        start = end;
      }
      if (!none) {
        spaces = ch == U' ';
        breaks = IsBreak(ch);
      }
    }
  }

  void WriteSingleQuoted(const std::u32string& text, bool split) {
    WriteIndicator(U"'", true);
    bool spaces = false, breaks = false;
    size_t start = 0;
    for (size_t end = 0; end <= text.size(); ++end) {
      bool none = end == text.size();
      char32_t ch = none ? 0 : text[end];
      if (spaces) {
        if (none || ch != U' ') {
          if (start + 1 == end && column_ > best_width_ && split && start != 0 &&
              end != text.size()) {
            WriteIndent();
          } else {
            Write(text.substr(start, end - start));
          }
          start = end;
        }
      } else if (breaks) {
        if (none || !IsBreak(ch)) {
          WriteBreaks(text, start, end);
          start = end;
        }
      } else if (none || ch == U' ' || IsBreak(ch) || ch == U'\'') {
        if (start < end) {
          Write(text.substr(start, end - start));
          start = end;
        }
      }
      if (ch == U'\'' && !none) {
        Write(U"''");
        start = end + 1;
      }
      if (!none) {
        spaces = ch == U' ';
        breaks = IsBreak(ch);
      }
    }
    WriteIndicator(U"'", false);
  }

  static std::u32string Escape(char32_t ch) {
    static const std::pair<char32_t, char> kEscapes[] = {
        {0, '0'},      {0x07, 'a'}, {0x08, 'b'}, {0x09, 't'},   {0x0A, 'n'},
        {0x0B, 'v'},   {0x0C, 'f'}, {0x0D, 'r'}, {0x1B, 'e'},   {U'"', '"'},
        {U'\\', '\\'}, {0x85, 'N'}, {0xA0, '_'}, {0x2028, 'L'}, {0x2029, 'P'}};
    for (const auto& [c, e] : kEscapes) {
      if (c == ch) return std::u32string{U'\\', static_cast<char32_t>(e)};
    }
    char buf[16];
    if (ch <= 0xFF) {
      std::snprintf(buf, sizeof(buf), "\\x%02X", static_cast<unsigned>(ch));
    } else if (ch <= 0xFFFF) {
      std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned>(ch));
    } else {
      std::snprintf(buf, sizeof(buf), "\\U%08X", static_cast<unsigned>(ch));
    }
    return DecodeUtf8(buf);
  }

  void WriteDoubleQuoted(const std::u32string& text, bool split) {
    WriteIndicator(U"\"", true);
    size_t start = 0;
    for (size_t end = 0; end <= text.size(); ++end) {
      bool none = end == text.size();
      char32_t ch = none ? 0 : text[end];
      bool printable = (ch >= 0x20 && ch <= 0x7E) || (ch >= 0xA0 && ch <= 0xD7FF) ||
                       (ch >= 0xE000 && ch <= 0xFFFD);
      if (none || ch == U'"' || ch == U'\\' || ch == 0x85 || ch == 0x2028 || ch == 0x2029 ||
          ch == 0xFEFF || !printable) {
        if (start < end) {
          Write(text.substr(start, end - start));
          start = end;
        }
        if (!none) {
          Write(Escape(ch));
          start = end + 1;
        }
      }
      if (end > 0 && end + 1 < text.size() && (ch == U' ' || start >= end) &&
          column_ + static_cast<int>(end - start) > best_width_ && split) {
        std::u32string data = (start < end ? text.substr(start, end - start) : U"") + U"\\";
        if (start < end) start = end;
        Write(data);
        WriteIndent();
        whitespace_ = indention_ = false;
        if (text[start] == U' ') Write(U"\\");
      }
    }
    WriteIndicator(U"\"", false);
  }

  bool flow_style_;
  int best_width_;
  std::u32string out_;
  int column_ = 0;
  std::optional<int> indent_;
  std::vector<std::optional<int>> indents_;
  int flow_level_ = 0;
  bool whitespace_ = true, indention_ = true, open_ended_ = false;
  bool root_context_ = false, sequence_context_ = false, mapping_context_ = false;
  bool simple_key_context_ = false;
};

}  // namespace

std::string YamlDump(const Json& value, YamlDumpStyle style) { return Emitter(style).Dump(value); }

}  // namespace pgha::py
