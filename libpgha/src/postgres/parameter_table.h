// PostgreSQL's server parameters by major version, generated from PostgreSQL's sources
// (tools/pg_params/generate.py).
#ifndef PGHA_POSTGRES_PARAMETER_TABLE_H_
#define PGHA_POSTGRES_PARAMETER_TABLE_H_

#include <cstddef>

namespace pgha::pg {

enum class GucType { kBool, kInteger, kReal, kString, kEnum };

// One row: a parameter over a run of consecutive major versions [since_major, until_major) in
// which its type, bounds, unit, enum values and context stay the same.  Rows are sorted by name
// (PostgreSQL's spelling, e.g. "DateStyle"; the server matches names case-insensitively), then
// by since_major.  A parameter absent from a major version has no row covering it.  Parameters
// of context PGC_INTERNAL (read-only, e.g. server_version) are not listed.
struct GucSpec {
  const char* name;
  GucType type;
  int since_major;          // first major version with this row's shape (12 = the oldest described)
  int until_major;          // first major version without it; 0 = still in the newest described
  double min;               // kInteger, kReal
  double max;
  const char* unit;         // "", "B", "kB", "8kB", "MB", "ms", "s", "min"
  const char* enum_values;  // kEnum: the accepted values, hidden ones included, separated by ','
                            // (matched case-insensitively by the server; an empty value, as
                            // ssl_max_protocol_version accepts, is an empty item)
  const char* context;      // "postmaster", "sighup", "superuser", "user", "backend", "superuser-backend"
};

extern const GucSpec kGucSpecs[];
extern const std::size_t kGucSpecCount;

// The oldest and newest major versions the table describes.
inline constexpr int kOldestDescribedMajor = 12;
inline constexpr int kNewestDescribedMajor = 17;

}  // namespace pgha::pg

#endif  // PGHA_POSTGRES_PARAMETER_TABLE_H_
