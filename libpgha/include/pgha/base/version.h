// pgha's own version, reported where Patroni reports its version (member key, /patroni).
#ifndef PGHA_BASE_VERSION_H_
#define PGHA_BASE_VERSION_H_

#include <string>

namespace pgha {
// The Patroni version whose behaviour and formats pgha reproduces; written into "version" fields
// so that tools keyed on Patroni versions keep working.
inline constexpr char kPatroniCompatVersion[] = "3.0.2";
inline constexpr char kPghaVersion[] = "0.1.0";

// The word Patroni 3.0.2 uses for a role where users read it (GET /patroni, callback arguments):
// "master" for a primary, which monitoring and callback scripts written for 3.x test for. The
// DCS member key keeps "primary" (Patroni 4's word, which 3.x also reads).
inline std::string PatroniRoleWord(const std::string& role) {
  return role == "primary" ? "master" : role;
}
}  // namespace pgha

#endif  // PGHA_BASE_VERSION_H_
