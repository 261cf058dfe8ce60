// DNS SRV discovery of etcd client endpoints (etcd's and Patroni's `srv` setting).
#ifndef PGHA_BACKENDS_ETCD3_SRV_LOOKUP_H_
#define PGHA_BACKENDS_ETCD3_SRV_LOOKUP_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pgha::backends::etcd {

// Looks up _etcd-client-ssl._tcp.<domain> and _etcd-client._tcp.<domain> (with -<suffix>
// appended to the service name when given) and returns host:port targets. kUnavailable when
// nothing is found.
absl::StatusOr<std::vector<std::string>> LookupEtcdSrv(const std::string& domain,
                                                       const std::string& suffix, bool tls);

}  // namespace pgha::backends::etcd

#endif  // PGHA_BACKENDS_ETCD3_SRV_LOOKUP_H_
