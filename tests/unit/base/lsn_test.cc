#include <catch2/catch.hpp>

#include "pgha/base/lsn.h"

namespace pgha {
namespace {

TEST_CASE("LSNs parse and format as PostgreSQL prints them") {
  CHECK(*ParseLsn("0/1511B00") == 0x1511B00);
  CHECK(*ParseLsn("16/B374D848") == ((Lsn{0x16} << 32) | 0xB374D848));
  CHECK(FormatLsn(0x1511B00) == "0/1511B00");
  CHECK(FormatLsn((Lsn{0x16} << 32) | 0xB374D848) == "16/B374D848");
  for (const char* bad : {"", "/", "0/", "/1", "x/1", "0/1/2", "123456789/1", "0/g"}) {
    INFO(bad);
    CHECK_FALSE(ParseLsn(bad).ok());
  }
}

TEST_CASE("byte sizes accept PostgreSQL units") {
  CHECK(*ParseByteSize("1024") == 1024);
  CHECK(*ParseByteSize("16kB") == 16 * 1024);
  CHECK(*ParseByteSize("64MB") == 64LL << 20);
  CHECK(*ParseByteSize("1GB") == 1LL << 30);
  CHECK_FALSE(ParseByteSize("1XB").ok());
  CHECK_FALSE(ParseByteSize("MB").ok());
}

}  // namespace
}  // namespace pgha
