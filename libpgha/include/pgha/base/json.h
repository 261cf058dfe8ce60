// The JSON document type. Patroni's DCS values, REST bodies and dynamic configuration are JSON
// documents; nlohmann's ordered_json keeps key order, so a document read from YAML or the DCS is
// written back in the order it came in (as Patroni's Python dicts do).
//
// This is the one third-party type allowed in public headers: it is header-only, has no link-time
// coupling, and the alternative (a string in every interface) would move parsing to every caller.
#ifndef PGHA_BASE_JSON_H_
#define PGHA_BASE_JSON_H_

#include <nlohmann/json.hpp>

namespace pgha {
using Json = nlohmann::ordered_json;
}  // namespace pgha

#endif  // PGHA_BASE_JSON_H_
