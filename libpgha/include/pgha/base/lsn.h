// PostgreSQL write-ahead-log positions. Patroni stores them in the DCS as plain integers (bytes);
// PostgreSQL prints them as "X/Y" (two 32-bit hex halves).
#ifndef PGHA_BASE_LSN_H_
#define PGHA_BASE_LSN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace pgha {

using Lsn = uint64_t;

// "0/1511B00" -> 22092544. Rejects anything else with kInvalidArgument.
absl::StatusOr<Lsn> ParseLsn(const std::string& text);
std::string FormatLsn(Lsn lsn);

// Sizes as Patroni accepts them for ?lag= and maximum_lag_on_failover: plain bytes or a number
// with a unit (kB, MB, GB, TB; 1024-based like PostgreSQL).
absl::StatusOr<int64_t> ParseByteSize(const std::string& text);

}  // namespace pgha

#endif  // PGHA_BASE_LSN_H_
