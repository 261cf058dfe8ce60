// A directory under $TMPDIR that is removed with everything in it when the object dies.
#ifndef PGHA_TESTS_SUPPORT_TEMP_DIR_H_
#define PGHA_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>

namespace pgha::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "pgha-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to path()/name (creating parent directories) and returns the full path.
  std::string WriteFile(const std::string& name, const std::string& content) const;
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Reads a whole file; empty string when it cannot be read.
std::string ReadFile(const std::string& path);

// The repository's tests/fixtures directory (set at build time).
std::string FixturePath(const std::string& relative);

}  // namespace pgha::testing

#endif  // PGHA_TESTS_SUPPORT_TEMP_DIR_H_
