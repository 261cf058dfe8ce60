#include "temp_dir.h"

#include <stdlib.h>

#include <cstdio>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace pgha::testing {

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" +
                        prefix + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  // PGHA_KEEP_TEST_DIRS=1 keeps them for a post-mortem (logs, data directories).
  const char* keep = std::getenv("PGHA_KEEP_TEST_DIRS");
  if (keep != nullptr && *keep == '1') {
    std::fprintf(stderr, "kept %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::WriteFile(const std::string& name, const std::string& content) const {
  std::string full = path_ + "/" + name;
  std::filesystem::create_directories(std::filesystem::path(full).parent_path());
  std::ofstream out(full, std::ios::binary | std::ios::trunc);
  out << content;
  return full;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string FixturePath(const std::string& relative) {
  return std::string(PGHA_FIXTURES_DIR) + "/" + relative;
}

}  // namespace pgha::testing
