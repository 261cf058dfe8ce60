#include "pgha/base/log_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace pgha::log {
namespace {

enum class Kind { kString, kInt, kFloat };

// The LogRecord attributes a format may name, and what Python holds in each.
const std::map<std::string, Kind>& Attributes() {
  static const auto* attributes = new std::map<std::string, Kind>{
      {"asctime", Kind::kString},   {"created", Kind::kFloat},      {"filename", Kind::kString},
      {"funcName", Kind::kString},  {"levelname", Kind::kString},   {"levelno", Kind::kInt},
      {"lineno", Kind::kInt},       {"message", Kind::kString},     {"module", Kind::kString},
      {"msecs", Kind::kFloat},      {"name", Kind::kString},        {"pathname", Kind::kString},
      {"process", Kind::kInt},      {"processName", Kind::kString}, {"relativeCreated", Kind::kFloat},
      {"thread", Kind::kInt},       {"threadName", Kind::kString},
  };
  return *attributes;
}

int LevelNumber(Level level) {
  switch (level) {
    case Level::kDebug:
      return 10;
    case Level::kInfo:
      return 20;
    case Level::kWarning:
      return 30;
    case Level::kError:
      return 40;
    case Level::kCritical:
      return 50;
  }
  return 20;
}

const char* LevelText(Level level) {
  static const char* kNames[] = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};
  return kNames[static_cast<int>(level)];
}

// Python's str() of a float: the shortest text that reads back the same, with ".0" on whole
// numbers.
std::string PyFloatStr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, end);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// One value: a string, or a number Python would hold as int or float.
struct Value {
  Kind kind = Kind::kString;
  std::string text;
  int64_t integer = 0;
  double real = 0;
};

std::string Pad(std::string s, const std::string& flags, int width) {
  if (width < 0 || static_cast<int>(s.size()) >= width) return s;
  std::string fill(static_cast<size_t>(width) - s.size(), ' ');
  return flags.find('-') != std::string::npos ? s + fill : fill + s;
}

// One number through a printf spec (checked at parse time), as long as the spec's width asks.
template <typename Number>
std::string Printf(const std::string& spec, Number v) {
  int n = std::snprintf(nullptr, 0, spec.c_str(), v);
  if (n < 0) return std::string();
  std::string out(static_cast<size_t>(n), '\0');
  std::snprintf(out.data(), out.size() + 1, spec.c_str(), v);
  return out;
}

}  // namespace

absl::StatusOr<LineFormat> LineFormat::Parse(const std::string& format, const std::string& dateformat) {
  LineFormat f{Empty{}};
  f.dateformat_ = dateformat;
  std::string literal;
  size_t i = 0;
  while (i < format.size()) {
    char c = format[i];
    if (c != '%') {
      literal.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '%') {
      literal.push_back('%');
      i += 2;
      continue;
    }
    if (i + 1 >= format.size() || format[i + 1] != '(') {
      return absl::InvalidArgumentError(
          absl::StrCat("log.format: '%' at offset ", i, " is not followed by (name) or %"));
    }
    size_t close = format.find(')', i + 2);
    if (close == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("log.format: '%(' at offset ", i, " is not closed"));
    }
    Field field;
    field.literal = std::move(literal);
    literal.clear();
    field.key = format.substr(i + 2, close - i - 2);
    auto attribute = Attributes().find(field.key);
    if (attribute == Attributes().end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("log.format: %(", field.key, ") is not a log record attribute"));
    }
    size_t j = close + 1;
    while (j < format.size() && std::string("-0 +#").find(format[j]) != std::string::npos) {
      field.flags.push_back(format[j++]);
    }
    auto number = [&](int* out) {
      size_t start = j;
      while (j < format.size() && absl::ascii_isdigit(static_cast<unsigned char>(format[j])) && j - start < 4) ++j;
      if (j > start) *out = std::stoi(format.substr(start, j - start));
    };
    number(&field.width);
    if (j < format.size() && format[j] == '.') {
      ++j;
      field.precision = 0;
      number(&field.precision);
    }
    if (j >= format.size()) {
      return absl::InvalidArgumentError(absl::StrCat("log.format: %(", field.key, ") has no conversion"));
    }
    field.conversion = format[j];
    std::string numeric = "diufFeEgGxXo";
    bool is_string = field.conversion == 's' || field.conversion == 'r';
    if (!is_string && numeric.find(field.conversion) == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("log.format: %(", field.key, ") has the conversion '",
                                                     std::string(1, field.conversion),
                                                     "', which is not one of s r d i u f F e E g G x X o"));
    }
    if (!is_string && attribute->second == Kind::kString) {
      return absl::InvalidArgumentError(absl::StrCat("log.format: %(", field.key, ")",
                                                     std::string(1, field.conversion),
                                                     " needs a number, and ", field.key, " is text"));
    }
    f.fields_.push_back(std::move(field));
    i = j + 1;
  }
  if (!literal.empty()) f.fields_.push_back(Field{.literal = std::move(literal)});
  return f;
}

std::string LineFormat::Format(const Record& r) const {
  double created = absl::ToDoubleSeconds(r.time - absl::UnixEpoch());
  auto value = [&](const std::string& key) -> Value {
    Value v;
    auto text = [&](std::string s) {
      v.kind = Kind::kString;
      v.text = std::move(s);
    };
    auto integer = [&](int64_t n) {
      v.kind = Kind::kInt;
      v.integer = n;
    };
    auto real = [&](double d) {
      v.kind = Kind::kFloat;
      v.real = d;
    };
    if (key == "asctime") {
      if (!dateformat_.empty()) {
        text(absl::FormatTime(dateformat_, r.time, absl::LocalTimeZone()));
      } else {
        text(absl::StrCat(absl::FormatTime("%Y-%m-%d %H:%M:%S", r.time, absl::LocalTimeZone()), ",",
                          absl::FormatTime("%E3f", r.time, absl::LocalTimeZone()).substr(0, 3)));
      }
    } else if (key == "created") {
      real(created);
    } else if (key == "levelname") {
      text(LevelText(r.level));
    } else if (key == "levelno") {
      integer(LevelNumber(r.level));
    } else if (key == "message") {
      text(r.message);
    } else if (key == "msecs") {
      real((created - std::floor(created)) * 1000);
    } else if (key == "name") {
      text("pgha");
    } else if (key == "process") {
      integer(r.process);
    } else if (key == "processName") {
      text("MainProcess");
    } else if (key == "relativeCreated") {
      real(absl::ToDoubleMilliseconds(r.time - r.process_start));
    } else if (key == "thread") {
      integer(r.thread);
    } else if (key == "threadName") {
      text(r.thread == r.process ? "MainThread" : absl::StrCat("Thread-", r.thread));
    } else if (key == "lineno") {
      integer(0);
    } else {
      text("");  // filename, funcName, module, pathname: no Python frame to name
    }
    return v;
  };

  std::string out;
  for (const Field& f : fields_) {
    out += f.literal;
    if (f.key.empty()) continue;
    Value v = value(f.key);
    std::string piece;
    if (f.conversion == 's' || f.conversion == 'r') {
      if (v.kind == Kind::kInt) {
        piece = std::to_string(v.integer);
      } else if (v.kind == Kind::kFloat) {
        piece = PyFloatStr(v.real);
      } else {
        piece = f.conversion == 'r' ? absl::StrCat("'", v.text, "'") : v.text;
      }
      if (f.precision >= 0 && static_cast<int>(piece.size()) > f.precision) piece.resize(static_cast<size_t>(f.precision));
      piece = Pad(std::move(piece), f.flags, f.width);
    } else {
      std::string spec = absl::StrCat("%", f.flags, f.width >= 0 ? std::to_string(f.width) : "",
                                      f.precision >= 0 ? absl::StrCat(".", f.precision) : "");
      double real = v.kind == Kind::kFloat ? v.real : static_cast<double>(v.integer);
      if (std::string("fFeEgG").find(f.conversion) != std::string::npos) {
        piece = Printf(spec + f.conversion, real);
      } else {
        // Python's %d of a float truncates toward zero.
        long long whole = v.kind == Kind::kFloat ? static_cast<long long>(std::trunc(real)) : v.integer;
        char conversion = f.conversion == 'i' || f.conversion == 'u' ? 'd' : f.conversion;
        piece = Printf(absl::StrCat(spec, "ll", std::string(1, conversion)), whole);
      }
    }
    out += piece;
  }
  return out;
}

}  // namespace pgha::log
