// What the hostile test throws at a cluster: garbage DCS values and the keys to put them in,
// and a generator of malformed REST requests. Deterministic for a seed, so that a failure can be
// replayed.
#ifndef PGHA_TESTS_HOSTILE_HOSTILE_INPUTS_H_
#define PGHA_TESTS_HOSTILE_HOSTILE_INPUTS_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "pgha/dcs/key_layout.h"

namespace pgha::testing {

// Every key a Patroni cluster uses (but the leader lock), and a few no daemon should trust:
// members with odd names, a nested member path, an unknown key.
std::vector<std::string> HostileDcsKeys(const dcs::KeyLayout& layout);
// Not JSON, wrong JSON types for each kind of key, out-of-range numbers, invalid UTF-8, 100 KB
// of nesting, a 512 KB string.
std::vector<std::string> HostileDcsValues();
// What goes into the leader key (plain text there): names of nobody, empty, binary, huge.
std::vector<std::string> HostileLeaderValues();
// A valid member record (stopped, port 1) named zz-barrier-<round>.
std::string HostileBarrierMember(int round);

struct HostileRequest {
  std::string bytes;   // the whole request as sent
  bool unsafe = false;  // POST/PUT/PATCH/DELETE to an action: invalid by construction
  // The request is cut short (a body shorter than its Content-Length, headers that never end):
  // the client closes its sending side after it, or the server would wait for the rest.
  bool incomplete = false;
};

class HostileRequests {
 public:
  // `auth_header` ("Authorization: ...\r\n") goes on some of the unsafe requests so that their
  // bodies reach the handlers.
  HostileRequests(uint32_t seed, std::string auth_header);
  HostileRequest Next();

 private:
  std::string Pick(const std::vector<std::string>& from);
  std::string RandomBytes(size_t max_len);
  std::string Target();
  // Sets `*incomplete` when the headers announce more body than `body_size`.
  std::string Headers(size_t body_size, bool with_auth, bool* incomplete);
  std::string InvalidBody(const std::string& path);

  std::mt19937 rng_;
  std::string auth_header_;
};

}  // namespace pgha::testing

#endif  // PGHA_TESTS_HOSTILE_HOSTILE_INPUTS_H_
