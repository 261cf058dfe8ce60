// JSON text the way Patroni's Python writes it (json.dumps with its default separators ", "
// and ": ", non-ASCII escaped), so that REST bodies and pghactl -f json output match byte for
// byte.
#ifndef PGHA_API_JSON_FORMAT_H_
#define PGHA_API_JSON_FORMAT_H_

#include <string>

#include "pgha/base/json.h"

namespace pgha::api {

std::string PyJsonDumps(const Json& value);

}  // namespace pgha::api

#endif  // PGHA_API_JSON_FORMAT_H_
