// Prints generated values with what pgha's Python-compatibility module (pgha/base/pycompat.h)
// makes of them, one per line, for tests/pycompat/check.py to compare with the installed
// python3 byte for byte:
//   F <16 hex digits: the double's bits> <py::FloatRepr>
//   J <the value as JSON, lossless> <TAB> <py::JsonDumps>
//   R <TAB> <hex: UTF-8 text> <TAB> <hex: py::Repr of it>
//   Y <TAB> <hex: plain scalar> <TAB> <tag> <TAB> <value>   (py::LoadYamlScalar and, for a
//       timestamp, py::ParseYamlTimestamp's isoformat)
//   D <TAB> <flow 0|1> <TAB> <width> <TAB> <the value as json.dumps writes it> <TAB>
//       <hex: py::YamlDump>
//   I <TAB> <unix microseconds> <TAB> <offset seconds> <TAB> <sep> <TAB> <py::IsoFormat>
//   P <TAB> <hex: text> <TAB> <py::ParseDateutil (default day 2026-12-07) as isoformat, or ERR>
//   U <TAB> <hex: bytes> <TAB> <hex: EncodeUtf8(DecodeUtf8(bytes))>
//
//   pycompat_cases COUNT [SEED]    COUNT values of each kind, edge cases first
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "pgha/base/pycompat.h"
#include "pgha/base/pycompat_time.h"
#include "pgha/base/pycompat_yaml.h"
#include "pgha/base/utf8.h"

namespace {

using pgha::Json;

uint64_t Bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

double FromBits(uint64_t b) {
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
}

std::vector<double> EdgeDoubles() {
  std::vector<double> out = {0.0,
                             -0.0,
                             1.0,
                             -1.0,
                             0.1,
                             0.5,
                             1.5,
                             2.5,
                             3.0,
                             100.0,
                             1e-4,
                             1e-5,
                             9.999999999999999e-5,
                             1e15,
                             1e16,
                             9999999999999998.0,
                             1e16 + 2,
                             1e22,
                             1e23,
                             1e-7,
                             123456789012345678.0,
                             0.30000000000000004,
                             std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::min(),
                             std::numeric_limits<double>::denorm_min(),
                             std::numeric_limits<double>::epsilon(),
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::quiet_NaN()};
  // Around every power of ten Python switches layout at: 1e-5..1e-4 and 1e15..1e17.
  for (int e = -330; e <= 310; ++e) {
    double p = std::pow(10.0, e);
    out.push_back(p);
    out.push_back(std::nextafter(p, 0.0));
    out.push_back(std::nextafter(p, INFINITY));
    out.push_back(-p);
  }
  return out;
}

double RandomDouble(std::mt19937_64& rng) {
  switch (rng() % 5) {
    case 0:  // any bit pattern (NaNs included)
      return FromBits(rng());
    case 1:  // integers as floats, up to and past 2^53
      return static_cast<double>(static_cast<int64_t>(rng() >> (rng() % 64)));
    case 2: {  // short decimals: what people write in configurations
      std::uniform_int_distribution<int> digits(0, 99999), exp(-12, 20);
      return digits(rng) * std::pow(10.0, exp(rng) - 4);
    }
    case 3: {  // uniform in [0, 1)
      return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    }
    default: {  // around the layout switch points
      std::uniform_real_distribution<double> m(1.0, 10.0);
      int e = (rng() % 2) ? -5 + static_cast<int>(rng() % 3) : 14 + static_cast<int>(rng() % 4);
      return m(rng) * std::pow(10.0, e) * ((rng() % 2) ? 1 : -1);
    }
  }
}

std::string RandomString(std::mt19937_64& rng) {
  static const std::vector<uint32_t> kSpecial = {
      '"',  '\\', '/',  '\b',   '\f',   '\n',   '\r',   '\t',    0,       0x1f,
      0x7f, 0x80, 0xe9, 0x2028, 0xfeff, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff};
  std::string out;
  int n = static_cast<int>(rng() % 12);
  for (int i = 0; i < n; ++i) {
    uint32_t cp;
    switch (rng() % 4) {
      case 0:
        cp = 0x20 + rng() % 0x5f;
        break;
      case 1:
        cp = kSpecial[rng() % kSpecial.size()];
        break;
      case 2:
        cp = static_cast<uint32_t>(rng() % 0x800);
        break;
      default:
        cp = static_cast<uint32_t>(rng() % 0x110000);
        break;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;  // no surrogates in well-formed UTF-8
    pgha::AppendUtf8(cp, &out);
  }
  return out;
}

template <typename T>
const T& Pick(std::mt19937_64& rng, const std::vector<T>& from) {
  return from[rng() % from.size()];
}

std::string Digits(std::mt19937_64& rng, int min, int max, const char* alphabet = "0123456789") {
  std::string out;
  int n = min + static_cast<int>(rng() % (max - min + 1));
  size_t size = std::strlen(alphabet);
  for (int i = 0; i < n; ++i) out.push_back(alphabet[rng() % size]);
  return out;
}

// Text near every PyYAML implicit type: the words, numbers in every base and layout (with
// underscores, sexagesimal groups, exponents), timestamps with good and bad fields, the
// indicators, and random mixes of the characters these patterns turn on.
std::string RandomYamlScalar(std::mt19937_64& rng) {
  static const std::vector<std::string> kWords = {"yes",
                                                  "Yes",
                                                  "YES",
                                                  "yEs",
                                                  "no",
                                                  "No",
                                                  "NO",
                                                  "nO",
                                                  "true",
                                                  "True",
                                                  "TRUE",
                                                  "tRue",
                                                  "false",
                                                  "False",
                                                  "FALSE",
                                                  "on",
                                                  "On",
                                                  "ON",
                                                  "oN",
                                                  "off",
                                                  "Off",
                                                  "OFF",
                                                  "oFF",
                                                  "y",
                                                  "n",
                                                  "Y",
                                                  "N",
                                                  "null",
                                                  "Null",
                                                  "NULL",
                                                  "nULL",
                                                  "~",
                                                  "",
                                                  "<<",
                                                  "<",
                                                  "=",
                                                  "==",
                                                  "!",
                                                  "&",
                                                  "*",
                                                  "!!",
                                                  ".inf",
                                                  ".Inf",
                                                  ".INF",
                                                  ".iNF",
                                                  "-.inf",
                                                  "+.Inf",
                                                  ".nan",
                                                  ".NaN",
                                                  ".NAN",
                                                  "-.nan",
                                                  ".nAn",
                                                  "inf",
                                                  "nan",
                                                  "._5",
                                                  ".5",
                                                  "-.5",
                                                  "1.",
                                                  "1._",
                                                  "0b",
                                                  "0x",
                                                  "0o17",
                                                  "0_",
                                                  "0b_",
                                                  "-0x_",
                                                  "0:30",
                                                  "1:60",
                                                  "1:5:0",
                                                  "190:20:30.15",
                                                  "9223372036854775807",
                                                  "9223372036854775808",
                                                  "-9223372036854775808",
                                                  "-9223372036854775809",
                                                  "0x7fffffffffffffff",
                                                  "0x8000000000000000",
                                                  "1.0e400",
                                                  "1.0e-400",
                                                  "2001-12-14t21:59:43.10-05:00",
                                                  "2001-12-14 21:59:43.10 -5",
                                                  "2001-12-15 2:59:43.10",
                                                  "2002-12-14",
                                                  "2001-02-29",
                                                  "2000-02-29",
                                                  "0000-01-01"};
  std::string out;
  switch (rng() % 7) {
    case 0:
      out = Pick(rng, kWords);
      break;
    case 1: {  // integers: sign, base, underscores, sexagesimal
      out = Pick(rng, std::vector<std::string>{"", "", "-", "+"});
      switch (rng() % 5) {
        case 0:
          out += "0b" + Digits(rng, 0, 70, "01_");
          break;
        case 1:
          out += "0x" + Digits(rng, 0, 18, "0123456789abcdefABCDEF_g");
          break;
        case 2:
          out += "0" + Digits(rng, 0, 23, "01234567_8");
          break;
        case 3:
          out += Digits(rng, 1, 21, "0123456789_");
          break;
        default:
          out += Digits(rng, 1, 6, "123456789_");
          for (int n = 1 + static_cast<int>(rng() % 4); n > 0; --n) out += ":" + Digits(rng, 1, 2);
      }
      break;
    }
    case 2: {  // floats
      out = Pick(rng, std::vector<std::string>{"", "", "-", "+"});
      if (rng() % 4 == 0) {
        out += Digits(rng, 0, 4, "0123456789_");
        for (int n = static_cast<int>(rng() % 3); n > 0; --n) out += ":" + Digits(rng, 1, 2);
      } else {
        out += Digits(rng, 0, 25, "0123456789_");
      }
      out += "." + Digits(rng, 0, 20, "0123456789_");
      if (rng() % 3 == 0) {
        out += Pick(rng, std::vector<std::string>{"e", "E", "e+", "e-", "E+", "E-"}) +
               Digits(rng, 0, 3);
      }
      break;
    }
    case 3:
    case 4: {  // timestamps: the date alone or with a time and zone, fields good or bad
      // Mostly the right number of digits, so that the fields' values are what is tested.
      auto digits = [&](int good_min, int good_max) {
        return rng() % 8 == 0 ? Digits(rng, good_min - 1, good_max + 1)
                              : Digits(rng, good_min, good_max);
      };
      out = digits(4, 4) + "-" + digits(1, 2) + "-" + digits(1, 2);
      if (rng() % 3 == 0) break;
      out += Pick(rng, std::vector<std::string>{"T", "t", " ", "\t", "  ", " \t", "x"});
      out += digits(1, 2) + ":" + digits(2, 2) + ":" + digits(2, 2);
      if (rng() % 2) out += "." + Digits(rng, 0, 9);
      switch (rng() % 5) {
        case 0:
          break;
        case 1:
          out += Pick(rng, std::vector<std::string>{"Z", " Z", "\tZ", "z"});
          break;
        default:
          out += Pick(rng, std::vector<std::string>{"", " ", "\t"}) +
                 Pick(rng, std::vector<std::string>{"+", "-"}) + Digits(rng, 1, 3);
          if (rng() % 2) out += ":" + Digits(rng, 1, 3);
      }
      break;
    }
    default:  // a random mix of what the patterns look at
      out = Digits(rng, 0, 12, "0123456789_.:+-eEbxXoTtZ yYnN~<=!&*\t");
  }
  if (rng() % 20 == 0) out += "\n";  // Python's $ also matches before a final newline
  return out;
}

const char* TagName(pgha::py::YamlTag tag) {
  using pgha::py::YamlTag;
  switch (tag) {
    case YamlTag::kStr:
      return "str";
    case YamlTag::kBool:
      return "bool";
    case YamlTag::kInt:
      return "int";
    case YamlTag::kFloat:
      return "float";
    case YamlTag::kNull:
      return "null";
    case YamlTag::kTimestamp:
      return "timestamp";
    case YamlTag::kMerge:
      return "merge";
    case YamlTag::kValue:
      return "value";
    case YamlTag::kYaml:
      return "yaml";
  }
  return "?";
}

// The value as check.py writes Python's: repr of what SafeLoader built, isoformat for dates,
// "=" for a string equal to the text, ERR where the constructor raises, BIG for an integer
// beyond 64 bits.
std::string YamlValue(const std::string& text) {
  if (pgha::py::ResolveYamlScalar(text) == pgha::py::YamlTag::kTimestamp) {
    auto t = pgha::py::ParseYamlTimestamp(text);
    return t.ok() ? pgha::py::IsoFormat(*t) : "ERR";
  }
  auto v = pgha::py::LoadYamlScalar(text);
  if (!v.ok()) return v.status().code() == absl::StatusCode::kOutOfRange ? "BIG" : "ERR";
  if (v->is_string()) return v->get<std::string>() == text ? "=" : "str?";
  return pgha::py::Repr(*v);
}

// A string for the YAML writer: text that needs quoting, folding or escaping as often as not.
std::string RandomYamlString(std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0:
      return RandomYamlScalar(rng);
    case 1:
      return RandomString(rng);
    case 2: {  // long text with spaces and breaks: folding at the width
      std::string out;
      for (int n = static_cast<int>(rng() % 40); n > 0; --n) {
        out += Digits(rng, 1, 12, "abcdefghij") +
               Pick(rng, std::vector<std::string>{" ", " ", " ", "  ", "\n", "\n\n", " \n", "\n "});
      }
      return out;
    }
    case 3:
      return Pick(rng, std::vector<std::string>{
                           "- a",     "a: b",    "a:b",  "#x",    "a #x",       "a#x",    "? x",
                           "-",       "---",     "...",  "--- x", "'q'",        "\"q\"",  "it's",
                           "%x",      "@x",      "`x",   "|",     ">",          "[a]",    "{a}",
                           "a,b",     " a",      "a ",   "\ta",   "a\t",        "\u0085", "\u2028x",
                           "\ufeffx", "x\u00a0", "\x7f", "\x01",  "\U0001F600", "a\r\nb"});
    case 4:
      return std::string(1 + rng() % 300, Pick(rng, std::vector<char>{'a', ' ', 'x'}));
    default:
      return Digits(rng, 0, 30, "ab :-#,[]{}?'\"\n \t!&*|>%@`");
  }
}

// What a generated document is made of.
struct DocumentKind {
  std::string (*text)(std::mt19937_64&);  // its strings and keys
  int flat_below_depth;                   // no containers deeper than this
  bool finite_only;   // no NaN or infinity (the J lines' lossless transport has no spelling)
  bool short_floats;  // floats mostly with two decimals, as configurations hold them
};

// A document of the kinds Patroni's JSON and YAML hold.
Json RandomDocument(std::mt19937_64& rng, const DocumentKind& kind, int depth = 0) {
  switch (rng() % (depth > kind.flat_below_depth ? 6 : 8)) {
    case 0:
      return nullptr;
    case 1:
      return (rng() % 2) == 0;
    case 2:
      return static_cast<int64_t>(rng()) >> (rng() % 64);
    case 3:
      return static_cast<uint64_t>(rng());
    case 4: {
      double d = RandomDouble(rng);
      if (kind.short_floats && rng() % 8 != 0) d = std::nearbyint(d * 100) / 100;
      return kind.finite_only && !std::isfinite(d) ? Json(0.25) : Json(d);
    }
    case 5:
      return kind.text(rng);
    case 6: {
      Json a = Json::array();
      for (int n = static_cast<int>(rng() % 5); n > 0; --n) a.push_back(RandomDocument(rng, kind, depth + 1));
      return a;
    }
    default: {
      Json o = Json::object();
      for (int n = static_cast<int>(rng() % 5); n > 0; --n) {
        o[kind.text(rng)] = RandomDocument(rng, kind, depth + 1);
      }
      return o;
    }
  }
}

constexpr DocumentKind kJsonDocument{RandomString, 3, true, false};
constexpr DocumentKind kYamlDocument{RandomYamlString, 2, false, true};

// ISO 8601 text in the forms ParseDateutil reads, with fields good and bad.
std::string RandomDateutilText(std::mt19937_64& rng) {
  auto spaces = [&] {
    std::string out;
    for (int n = rng() % 3 == 0 ? static_cast<int>(rng() % 3) : 0; n > 0; --n) {
      out += Pick(rng, std::vector<char>{' ', ' ', ' ', '\t', '\n', '\r', '\v', '\f', '\x1c', '\x1f'});
    }
    return out;
  };
  auto field = [&](int max_good) {
    int v =
        rng() % 6 == 0 ? static_cast<int>(rng() % 100) : static_cast<int>(rng() % (max_good + 1));
    std::string text = std::to_string(v);
    if (text.size() == 1 && rng() % 3 != 0) text = "0" + text;
    return text;
  };
  std::string out = spaces();
  bool has_date = rng() % 5 != 0;
  if (has_date) {
    int year =
        rng() % 10 == 0 ? static_cast<int>(rng() % 10000) : 1990 + static_cast<int>(rng() % 60);
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04d", year);
    out += std::string(buf) + "-" + field(12) + "-" + field(31);
  }
  bool has_time = !has_date || rng() % 4 != 0;
  if (has_time) {
    bool t = has_date && rng() % 2;
    if (has_date) out += t ? Pick(rng, std::vector<std::string>{"T", "t"}) : " " + spaces();
    std::string hour = field(23);
    if (!has_date || rng() % 4 != 0) {
      out += hour + ":" + (rng() % 8 == 0 ? std::to_string(rng() % 60) : field(59));
      if (rng() % 3 != 0) {
        std::string second = field(59);
        out += ":" + second;
        // A comma only after two digits of seconds (ParseDateutil's grammar).
        if (rng() % 2) out += (second.size() == 2 && rng() % 2 ? "," : ".") + Digits(rng, 1, 9);
      }
    } else {
      out += hour.size() == 2 ? hour : "0" + hour;  // an hour alone has two digits
    }
    if (rng() % 3 != 0) {
      out += spaces();
      std::string sign = Pick(rng, std::vector<std::string>{"+", "-"});
      switch (rng() % 6) {
        case 0:
          out += Pick(rng, std::vector<std::string>{"Z", "z", "UTC", "GMT"});
          break;
        case 1:
          out += sign + std::to_string(rng() % 24);
          break;
        case 2:
          out += sign + field(30);
          break;
        case 3:
          out += sign + field(26) + field(70);
          break;
        default:
          out += sign + field(26) + ":" + field(70);
      }
    }
  }
  return out + spaces();
}

std::string Hex(const std::string& bytes) { return absl::BytesToHexString(bytes); }

// Bytes that are UTF-8 as often as not: valid sequences, and every way of breaking one
// (stray continuation bytes, truncation, overlong forms, surrogates, values past U+10FFFF,
// bytes that never occur).
std::string RandomBytes(std::mt19937_64& rng) {
  static const std::vector<int> kLeads = {0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed,
                                          0xef, 0xf0, 0xf4, 0xf5, 0xff};
  std::string out;
  for (int n = static_cast<int>(rng() % 10); n > 0; --n) {
    switch (rng() % 4) {
      case 0:
        out.push_back(static_cast<char>(rng() % 256));
        break;
      case 1:
        out.push_back(static_cast<char>(0x80 + rng() % 64));
        break;
      case 2: {
        std::string cp;
        pgha::AppendUtf8(static_cast<char32_t>(rng() % 0x110000), &cp);
        out += cp.substr(0, 1 + rng() % cp.size());  // whole, or cut short
        break;
      }
      default:  // a lead byte and up to two continuation-looking bytes
        out.push_back(static_cast<char>(Pick(rng, kLeads)));
        for (int k = static_cast<int>(rng() % 3); k > 0; --k) {
          out.push_back(static_cast<char>(0x80 + rng() % 64));
        }
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: pycompat_cases COUNT [SEED]\n";
    return 2;
  }
  const long count = std::atol(argv[1]);
  std::mt19937_64 rng(argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20261207);
  std::vector<double> doubles = EdgeDoubles();
  while (static_cast<long>(doubles.size()) < count) doubles.push_back(RandomDouble(rng));
  for (double d : doubles) {
    std::printf("F %016" PRIx64 " %s\n", Bits(d), pgha::py::FloatRepr(d).c_str());
  }
  for (long i = 0; i < count; ++i) {
    Json v = RandomDocument(rng, kJsonDocument);
    // Lossless transport: floats with 17 significant digits, strings escaped to ASCII.
    std::string input = v.dump(-1, ' ', true);
    std::printf("J %s\t%s\n", input.c_str(), pgha::py::JsonDumps(v).c_str());
  }
  for (long i = 0; i < count; ++i) {
    std::string text = RandomString(rng);
    std::printf("R\t%s\t%s\n", Hex(text).c_str(), Hex(pgha::py::Repr(Json(text))).c_str());
  }
  for (long i = 0; i < count; ++i) {
    std::string text = RandomYamlScalar(rng);
    std::printf("Y\t%s\t%s\t%s\n", Hex(text).c_str(), TagName(pgha::py::ResolveYamlScalar(text)),
                YamlValue(text).c_str());
  }
  for (long i = 0; i < count; ++i) {
    Json v = RandomDocument(rng, kYamlDocument);
    pgha::py::YamlDumpStyle style{
        .flow = rng() % 3 == 0,
        .width = static_cast<int>(Pick(rng, std::vector<int>{80, 200, 20, 45}))};
    std::printf("D\t%d\t%d\t%s\t%s\n", style.flow ? 1 : 0, style.width,
                pgha::py::JsonDumps(v).c_str(), Hex(pgha::py::YamlDump(v, style)).c_str());
  }
  const int64_t kFirstMicros = -62135596800LL * 1000000, kLastMicros = 253402300799LL * 1000000;
  for (long i = 0; i < count; ++i) {
    int64_t micros = kFirstMicros + static_cast<int64_t>(
                                        rng() % static_cast<uint64_t>(kLastMicros - kFirstMicros));
    if (rng() % 2) micros -= micros % 1000000;  // whole seconds: no fraction printed
    int offset = rng() % 4 == 0 ? 0 : static_cast<int>(rng() % 172799) - 86399;
    if (rng() % 2) offset -= offset % 60;
    char sep = rng() % 2 ? 'T' : ' ';
    // Far from the ends of the calendar so that the offset stays inside years 1..9999.
    micros = std::clamp<int64_t>(micros, kFirstMicros + 86400LL * 1000000,
                                 kLastMicros - 86400LL * 1000000);
    std::printf("I\t%" PRId64 "\t%d\t%c\t%s\n", micros, offset, sep,
                pgha::py::IsoFormat(absl::FromUnixMicros(micros), absl::FixedTimeZone(offset), sep)
                    .c_str());
  }
  for (long i = 0; i < count; ++i) {
    std::string text = RandomDateutilText(rng);
    auto parsed = pgha::py::ParseDateutil(text, absl::CivilDay(2026, 12, 7));
    std::printf("P\t%s\t%s\n", Hex(text).c_str(),
                parsed.ok() ? pgha::py::IsoFormat(*parsed).c_str() : "ERR");
  }
  for (long i = 0; i < count; ++i) {
    std::string bytes = RandomBytes(rng);
    std::printf("U\t%s\t%s\n", Hex(bytes).c_str(),
                Hex(pgha::EncodeUtf8(pgha::DecodeUtf8(bytes))).c_str());
  }
  return 0;
}
