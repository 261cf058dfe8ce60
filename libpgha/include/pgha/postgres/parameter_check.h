// Which server parameters a PostgreSQL major version accepts, as Patroni checks them before it
// writes postgresql.conf: a parameter the version does not have, or a value it would refuse,
// is dropped with a warning instead of keeping the server from starting.
#ifndef PGHA_POSTGRES_PARAMETER_CHECK_H_
#define PGHA_POSTGRES_PARAMETER_CHECK_H_

#include <optional>
#include <set>
#include <string>

#include "pgha/base/json.h"
#include "pgha/config/diagnostics.h"
#include "pgha/config/document.h"

namespace pgha::pg {

// Why PostgreSQL `major` (15, not 150004) would refuse `name` = `value`, or nullopt when it
// accepts it or pgha cannot tell. `available` is what the server binary lists
// (`postgres --describe-config`), empty when unknown: a name it lists is never called unknown
// (distributions add their own). Names with a '.' (extensions) are never checked.
std::optional<std::string> ParameterRejection(const std::string& name, const Json& value, int major,
                                              const std::set<std::string>& available = {});

// The major version of the PostgreSQL binaries (`postgres --version` of `postgres_binary`), 0
// when they cannot be run.
int BinaryMajorVersion(const std::string& postgres_binary);

// The parameter names `postgres --describe-config` lists, empty when it cannot be run.
std::set<std::string> AvailableParameters(const std::string& postgres_binary);

// --validate-config: a warning at each parameter of postgresql.parameters and
// bootstrap.dcs.postgresql.parameters that PostgreSQL `major` would refuse (and pgha drops).
void CheckConfigParameters(const config::ConfigDocument& doc, int major, const std::set<std::string>& available,
                           config::Diagnostics* diagnostics);

}  // namespace pgha::pg

#endif  // PGHA_POSTGRES_PARAMETER_CHECK_H_
