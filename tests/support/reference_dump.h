// Reads the captured Patroni 3.0.2 etcd dumps (tests/fixtures/reference/
// patroni-3.0.2-dcs-layout.txt): for each "## State N" section, the key/value pairs that
// `etcdctl get --prefix /` printed.
#ifndef PGHA_TESTS_SUPPORT_REFERENCE_DUMP_H_
#define PGHA_TESTS_SUPPORT_REFERENCE_DUMP_H_

#include <map>
#include <string>
#include <vector>

namespace pgha::testing {

struct DumpState {
  std::string title;
  std::map<std::string, std::string> keys;  // full key -> value
};

std::vector<DumpState> LoadReferenceDcsDump();

}  // namespace pgha::testing

#endif  // PGHA_TESTS_SUPPORT_REFERENCE_DUMP_H_
