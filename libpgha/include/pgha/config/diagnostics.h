// Problems found while loading configuration, each tied to where it came from so that the user
// sees "FILE:LINE:COL: key.path: what is wrong".
//
// Thread-safety: plain values.
#ifndef PGHA_CONFIG_DIAGNOSTICS_H_
#define PGHA_CONFIG_DIAGNOSTICS_H_

#include <string>
#include <vector>

namespace pgha::config {

// Where a value came from. `file` is a path, or "env:PATRONI_X" for an environment variable.
// line and column are 1-based; 0 means "the whole file".
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
};

enum class Severity { kWarning, kError };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourcePos pos;
  std::string key_path;  // dotted, e.g. "postgresql.parameters.max_connections"; may be empty
  std::string message;
  // "FILE:LINE:COL: key.path: message", with " (warning)" appended to warnings.
  std::string ToString() const;
};

class Diagnostics {
 public:
  void Add(Severity severity, SourcePos pos, std::string key_path, std::string message);
  void Error(SourcePos pos, std::string key_path, std::string message) {
    Add(Severity::kError, std::move(pos), std::move(key_path), std::move(message));
  }
  void Warning(SourcePos pos, std::string key_path, std::string message) {
    Add(Severity::kWarning, std::move(pos), std::move(key_path), std::move(message));
  }
  void Append(const Diagnostics& other);

  bool HasErrors() const;
  int ErrorCount() const;
  // The first error added, nullptr when there is none.
  const Diagnostic* FirstError() const;
  const std::vector<Diagnostic>& all() const { return items_; }
  // Sorted by file, line and column, so output reads top to bottom.
  std::vector<Diagnostic> Sorted() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace pgha::config

#endif  // PGHA_CONFIG_DIAGNOSTICS_H_
