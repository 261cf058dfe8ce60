// Prints generated values with what pgha's Python-compatibility module (pgha/base/pycompat.h)
// makes of them, one per line, for tests/pycompat/check.py to compare with the installed
// python3 byte for byte:
//   F <16 hex digits: the double's bits> <py::FloatRepr>
//   J <the value as JSON, lossless> <TAB> <py::JsonDumps>
//
//   pycompat_cases COUNT [SEED]    COUNT values of each kind, edge cases first
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "pgha/base/pycompat.h"
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
  std::vector<double> out = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.5, 3.0, 100.0, 1e-4, 1e-5,
                             9.999999999999999e-5, 1e15, 1e16, 9999999999999998.0, 1e16 + 2,
                             1e22, 1e23, 1e-7, 123456789012345678.0, 0.30000000000000004,
                             std::numeric_limits<double>::max(), std::numeric_limits<double>::min(),
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
  static const std::vector<uint32_t> kSpecial = {'"', '\\', '/', '\b', '\f', '\n', '\r', '\t', 0,
                                                 0x1f, 0x7f, 0x80, 0xe9, 0x2028, 0xfeff, 0xfffd,
                                                 0xffff, 0x10000, 0x1f600, 0x10ffff};
  std::string out;
  int n = static_cast<int>(rng() % 12);
  for (int i = 0; i < n; ++i) {
    uint32_t cp;
    switch (rng() % 4) {
      case 0: cp = 0x20 + rng() % 0x5f; break;
      case 1: cp = kSpecial[rng() % kSpecial.size()]; break;
      case 2: cp = static_cast<uint32_t>(rng() % 0x800); break;
      default: cp = static_cast<uint32_t>(rng() % 0x110000); break;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;  // no surrogates in well-formed UTF-8
    pgha::AppendUtf8(cp, &out);
  }
  return out;
}

// A document of the kinds Patroni's JSON holds. NaN and infinities are left to the F lines:
// the lossless transport (JSON) has no spelling for them.
Json RandomJson(std::mt19937_64& rng, int depth) {
  switch (rng() % (depth > 3 ? 6 : 8)) {
    case 0: return nullptr;
    case 1: return (rng() % 2) == 0;
    case 2: return static_cast<int64_t>(rng()) >> (rng() % 64);
    case 3: return static_cast<uint64_t>(rng());
    case 4: {
      double d = RandomDouble(rng);
      return std::isfinite(d) ? Json(d) : Json(0.25);
    }
    case 5: return RandomString(rng);
    case 6: {
      Json a = Json::array();
      for (int n = static_cast<int>(rng() % 5); n > 0; --n) a.push_back(RandomJson(rng, depth + 1));
      return a;
    }
    default: {
      Json o = Json::object();
      for (int n = static_cast<int>(rng() % 5); n > 0; --n) o[RandomString(rng)] = RandomJson(rng, depth + 1);
      return o;
    }
  }
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
    Json v = RandomJson(rng, 0);
    // Lossless transport: floats with 17 significant digits, strings escaped to ASCII.
    std::string input = v.dump(-1, ' ', true);
    std::printf("J %s\t%s\n", input.c_str(), pgha::py::JsonDumps(v).c_str());
  }
  return 0;
}
