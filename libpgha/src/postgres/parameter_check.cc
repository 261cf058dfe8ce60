// Server parameters checked against the generated table of PostgreSQL 12-17 (parameter_table.cc),
// with PostgreSQL's own parsing rules for booleans, integers and reals with units, and enums.
#include "pgha/postgres/parameter_check.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "parameter_table.h"
#include "pgha/base/process_runner.h"

namespace pgha::pg {
namespace {

// The row describing `name` in `major`, or nullptr. A major newer than the table takes the rows
// still present in the newest one.
const GucSpec* RowFor(const std::string& name, int major, bool* known) {
  *known = false;
  int looked_up = std::min(major, kNewestDescribedMajor);
  for (std::size_t i = 0; i < kGucSpecCount; ++i) {
    const GucSpec& row = kGucSpecs[i];
    if (name != row.name) continue;
    *known = true;
    if (row.since_major <= looked_up && (row.until_major == 0 || looked_up < row.until_major)) return &row;
  }
  return nullptr;
}

// PostgreSQL's parse_bool: on/off/true/false/yes/no/1/0 and unique prefixes, any case.
bool ParsesAsBool(const std::string& text) {
  std::string v = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (v.empty()) return false;
  for (const char* word : {"true", "false", "yes", "no"}) {
    if (std::string(word).compare(0, v.size(), v) == 0) return true;
  }
  return v == "on" || v == "of" || v == "off" || v == "1" || v == "0";
}

// The factor from `unit` (as written by the user) to the parameter's base unit, if the two
// are of one kind (memory or time).
std::optional<double> UnitFactor(const std::string& written, const std::string& base) {
  static const std::pair<const char*, double> kMemory[] = {
      {"B", 1.0}, {"kB", 1024.0}, {"MB", 1024.0 * 1024}, {"GB", 1024.0 * 1024 * 1024}, {"TB", 1024.0 * 1024 * 1024 * 1024}};
  static const std::pair<const char*, double> kTime[] = {{"us", 0.001}, {"ms", 1.0},        {"s", 1000.0},
                                                         {"min", 60000.0}, {"h", 3600000.0}, {"d", 86400000.0}};
  double base_memory = base == "8kB" ? 8192.0 : 0;
  for (const auto& [u, f] : kMemory) {
    if (base == u) base_memory = f;
  }
  double base_time = 0;
  for (const auto& [u, f] : kTime) {
    if (base == u) base_time = f;
  }
  for (const auto& [u, f] : kMemory) {
    if (written == u && base_memory > 0) return f / base_memory;
  }
  for (const auto& [u, f] : kTime) {
    if (written == u && base_time > 0) return f / base_time;
  }
  return std::nullopt;
}

// PostgreSQL's parse_int/parse_real: a number (integers also in hex/octal), optional
// whitespace, an optional unit of the parameter's kind; the result in the base unit.
std::optional<std::string> NumericRejection(const std::string& text, const GucSpec& row, double* out) {
  std::string v(absl::StripAsciiWhitespace(text));
  const char* begin = v.c_str();
  char* end = nullptr;
  double number = 0;
  if (row.type == GucType::kInteger) {
    errno = 0;
    long long as_int = std::strtoll(begin, &end, 0);
    number = static_cast<double>(as_int);
    if (errno == ERANGE) return "is out of range";
    if (end != begin && (*end == '.' || *end == 'e' || *end == 'E')) number = std::strtod(begin, &end);
  } else {
    number = std::strtod(begin, &end);
  }
  if (end == begin || !std::isfinite(number)) return "is not a number";
  std::string unit(absl::StripAsciiWhitespace(std::string(end)));
  if (!unit.empty()) {
    std::optional<double> factor = UnitFactor(unit, row.unit);
    if (!factor) {
      return *row.unit == '\0' ? std::string("takes no unit")
                               : absl::StrCat("has a unit that is not one of its kind (its unit is ", row.unit, ")");
    }
    number *= *factor;
  }
  if (row.type == GucType::kInteger) number = std::round(number);
  *out = number;
  if (number < row.min || number > row.max) {
    return absl::StrCat("is outside ", row.min, "..", row.max, *row.unit ? absl::StrCat(" ", row.unit) : "");
  }
  return std::nullopt;
}

std::string ValueText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "on" : "off";
  return value.dump();
}

}  // namespace

std::optional<std::string> ParameterRejection(const std::string& name, const Json& value, int major,
                                              const std::set<std::string>& available) {
  if (major < kOldestDescribedMajor || absl::StrContains(name, '.')) return std::nullopt;
  if (value.is_null() || value.is_object() || value.is_array()) return std::nullopt;  // the schema's concern
  bool known = false;
  const GucSpec* row = RowFor(name, major, &known);
  if (row == nullptr) {
    if (!available.empty()) {
      if (available.count(name) != 0) return std::nullopt;
      return absl::StrCat("PostgreSQL ", major, " has no parameter ", name);
    }
    if (!known && major > kNewestDescribedMajor) return std::nullopt;  // may be new
    return absl::StrCat("PostgreSQL ", major, " has no parameter ", name);
  }
  std::string text = ValueText(value);
  switch (row->type) {
    case GucType::kBool:
      if (!ParsesAsBool(text)) return absl::StrCat("'", text, "' is not a boolean");
      return std::nullopt;
    case GucType::kInteger:
    case GucType::kReal: {
      double number = 0;
      if (auto why = NumericRejection(text, *row, &number)) return absl::StrCat("'", text, "' ", *why);
      return std::nullopt;
    }
    case GucType::kEnum: {
      std::string lowered = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
      for (absl::string_view allowed : absl::StrSplit(row->enum_values, ',')) {
        if (absl::AsciiStrToLower(allowed) == lowered) return std::nullopt;
      }
      return absl::StrCat("'", text, "' is not one of ", row->enum_values);
    }
    case GucType::kString:
      return std::nullopt;
  }
  return std::nullopt;
}

int BinaryMajorVersion(const std::string& postgres_binary) {
  PosixProcessRunner runner;
  auto r = runner.Run({.argv = {postgres_binary, "--version"}, .timeout = absl::Seconds(10)});
  if (!r.ok() || !r->ok()) return 0;
  // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
  std::vector<std::string> words = absl::StrSplit(r->output, absl::ByAnyChar(" \n"), absl::SkipEmpty());
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    if (words[i] != "(PostgreSQL)") continue;
    int major = 0;
    std::string first = std::string(words[i + 1].substr(0, words[i + 1].find_first_not_of("0123456789")));
    if (absl::SimpleAtoi(first, &major)) return major;
  }
  return 0;
}

std::set<std::string> AvailableParameters(const std::string& postgres_binary) {
  std::set<std::string> names;
  PosixProcessRunner runner;
  auto r = runner.Run({.argv = {postgres_binary, "--describe-config"}, .timeout = absl::Seconds(10)});
  if (!r.ok() || !r->ok()) return names;
  for (absl::string_view line : absl::StrSplit(r->output, '\n')) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
    // name, context, group, type, ...: anything else is not a row of the listing.
    if (fields.size() >= 4 && !fields[0].empty()) names.insert(std::string(fields[0]));
  }
  return names;
}

void CheckConfigParameters(const config::ConfigDocument& doc, int major, const std::set<std::string>& available,
                           config::Diagnostics* diagnostics) {
  for (const config::KeyPath& path : {config::KeyPath{"postgresql", "parameters"},
                                      config::KeyPath{"bootstrap", "dcs", "postgresql", "parameters"}}) {
    const Json* node = &doc.root;
    for (const auto& key : path) {
      if (!node->is_object() || !node->contains(key)) {
        node = nullptr;
        break;
      }
      node = &(*node)[key];
    }
    if (node == nullptr || !node->is_object()) continue;
    for (const auto& [name, value] : node->items()) {
      config::KeyPath at = path;
      at.push_back(name);
      bool converted = (name == "wal_keep_segments" && major >= 13) || (name == "wal_keep_size" && major < 13);
      if (converted) {
        diagnostics->Warning(doc.PosOf(at), config::DottedPath(at),
                             absl::StrCat("PostgreSQL ", major, " has no ", name, ": pgha writes it as ",
                                          major >= 13 ? "wal_keep_size (segments x 16 MB)"
                                                      : "wal_keep_segments (size / 16 MB)"));
        continue;
      }
      std::optional<std::string> why = ParameterRejection(name, value, major, available);
      if (!why) continue;
      diagnostics->Warning(doc.PosOf(at), config::DottedPath(at),
                           absl::StrCat(*why, ": pgha leaves it out of postgresql.conf (PostgreSQL ", major,
                                        " would refuse to start)"));
    }
  }
}

}  // namespace pgha::pg
