// pgha's own version, reported where Patroni reports its version (member key, /patroni).
#ifndef PGHA_BASE_VERSION_H_
#define PGHA_BASE_VERSION_H_

namespace pgha {
// The Patroni version whose behaviour and formats pgha reproduces; written into "version" fields
// so that tools keyed on Patroni versions keep working.
inline constexpr char kPatroniCompatVersion[] = "3.0.2";
inline constexpr char kPghaVersion[] = "0.1.0";
}  // namespace pgha

#endif  // PGHA_BASE_VERSION_H_
