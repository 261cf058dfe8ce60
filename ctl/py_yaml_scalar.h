// Internals of the PyYAML port (py_yaml.h): text as code points and PyYAML's analysis of a
// scalar (which styles may write it). Only py_yaml.cc uses this header.
#ifndef PGHA_CTL_PY_YAML_SCALAR_H_
#define PGHA_CTL_PY_YAML_SCALAR_H_

#include <string>

namespace pgha::ctl::internal {

// PyYAML works on code points: columns, the 128-character simple-key limit and character classes
// all count characters, not bytes. Stray bytes decode to their Latin-1 code points.
std::u32string DecodeUtf8(const std::string& s);
std::string EncodeUtf8(const std::u32string& s);

// '\n', NEL, LS, PS: what YAML treats as line breaks.
bool IsBreak(char32_t c);

struct Analysis {
  bool empty = false, multiline = false;
  bool allow_flow_plain = true, allow_block_plain = true, allow_single_quoted = true;
};

// PyYAML's Emitter.analyze_scalar with allow_unicode=True.
Analysis Analyze(const std::u32string& s);

}  // namespace pgha::ctl::internal

#endif  // PGHA_CTL_PY_YAML_SCALAR_H_
