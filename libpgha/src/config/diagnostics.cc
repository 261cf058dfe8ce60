#include "pgha/config/diagnostics.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace pgha::config {

std::string Diagnostic::ToString() const {
  std::string out = absl::StrCat(pos.file.empty() ? "<config>" : pos.file, ":", pos.line, ":",
                                 pos.column, ": ");
  if (!key_path.empty()) absl::StrAppend(&out, key_path, ": ");
  absl::StrAppend(&out, message);
  if (severity == Severity::kWarning) absl::StrAppend(&out, " (warning)");
  return out;
}

void Diagnostics::Add(Severity severity, SourcePos pos, std::string key_path,
                      std::string message) {
  items_.push_back(Diagnostic{severity, std::move(pos), std::move(key_path), std::move(message)});
}

void Diagnostics::Append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::HasErrors() const { return ErrorCount() > 0; }

int Diagnostics::ErrorCount() const {
  return static_cast<int>(std::count_if(items_.begin(), items_.end(), [](const Diagnostic& d) {
    return d.severity == Severity::kError;
  }));
}

const Diagnostic* Diagnostics::FirstError() const {
  for (const auto& d : items_) {
    if (d.severity == Severity::kError) return &d;
  }
  return nullptr;
}

std::vector<Diagnostic> Diagnostics::Sorted() const {
  std::vector<Diagnostic> out = items_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.pos.file, a.pos.line, a.pos.column) <
           std::tie(b.pos.file, b.pos.line, b.pos.column);
  });
  return out;
}

}  // namespace pgha::config
