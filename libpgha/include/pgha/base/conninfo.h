// libpq keyword/value connection strings (PostgreSQL docs, "Connection Strings"): each value
// quoted with single quotes, backslash and single quote escaped with a backslash. Shared by the
// daemon's own connections and pgha::client's strings for applications.
//
// Thread-safety: pure functions.
#ifndef PGHA_BASE_CONNINFO_H_
#define PGHA_BASE_CONNINFO_H_

#include <string>

namespace pgha {

std::string QuoteConnInfoValue(const std::string& value);

// Appends `key='value'` to `out`, after a space unless `out` is empty. An empty value appends
// nothing (libpq then uses its default for the keyword).
void AppendConnInfo(std::string* out, const std::string& key, const std::string& value);

}  // namespace pgha

#endif  // PGHA_BASE_CONNINFO_H_
