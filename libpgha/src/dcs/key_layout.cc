#include "pgha/dcs/key_layout.h"

#include "absl/strings/str_cat.h"

namespace pgha::dcs {
namespace {

std::string CollapseSlashes(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace

KeyLayout::KeyLayout(const std::string& namespace_, const std::string& scope)
    : scope_(scope), prefix_(CollapseSlashes(absl::StrCat("/", namespace_, "/", scope, "/"))) {}

}  // namespace pgha::dcs
