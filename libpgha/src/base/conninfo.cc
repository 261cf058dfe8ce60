#include "pgha/base/conninfo.h"

namespace pgha {

std::string QuoteConnInfoValue(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

void AppendConnInfo(std::string* out, const std::string& key, const std::string& value) {
  if (value.empty()) return;
  if (!out->empty()) out->push_back(' ');
  out->append(key).append("=").append(QuoteConnInfoValue(value));
}

}  // namespace pgha
