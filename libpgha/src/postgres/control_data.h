// pg_controldata: the state of a data directory while PostgreSQL is down.
#ifndef PGHA_POSTGRES_CONTROL_DATA_H_
#define PGHA_POSTGRES_CONTROL_DATA_H_

#include <string>

#include "absl/status/statusor.h"
#include "pgha/base/process_runner.h"
#include "pgha/postgres/types.h"

namespace pgha::pg {

// Parses pg_controldata's "Key:   value" output.
ControlData ParseControlData(const std::string& output);

// Runs `pg_controldata -D data_dir` with LANG=C.
absl::StatusOr<ControlData> ReadControlData(ProcessRunner& runner, const std::string& binary,
                                            const std::string& data_dir);

}  // namespace pgha::pg

#endif  // PGHA_POSTGRES_CONTROL_DATA_H_
