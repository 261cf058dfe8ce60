// The `zookeeper:` section turned into what the C client takes: a host string, (scheme,
// credential) pairs for zoo_add_auth, and the ACL list every created znode gets.
#ifndef PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_OPTIONS_H_
#define PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_OPTIONS_H_

#include <zookeeper/zookeeper.h>

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "pgha/base/json.h"

namespace pgha::backends::zk {

// "h1:2181,h2:2181". A host without a port gets ZooKeeper's 2181 (as kazoo does); a chroot
// suffix ("h:2181/app") is passed through.
absl::StatusOr<std::string> JoinHosts(const std::vector<std::string>& hosts);

// `auth_data` as {scheme: credential} or [[scheme, credential], ...].
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseAuthData(const Json& auth);

// `set_acls` as {principal: [permission, ...]}, Patroni's form: a principal is
// "scheme:credential", or an x509 name when it has no ':'; permissions are READ, WRITE, CREATE,
// DELETE, ADMIN or ALL (any case). Immutable once built; get() points into its own storage.
class AclList {
 public:
  static absl::StatusOr<std::shared_ptr<const AclList>> FromConfig(const Json& set_acls);
  // nullptr when the section sets no ACL: znodes are then open to everyone (ZooKeeper's default).
  const ACL_vector* get() const { return acls_.empty() ? nullptr : &vector_; }

 private:
  AclList() = default;
  std::deque<std::string> strings_;  // stable addresses for the char* in acls_
  std::vector<ACL> acls_;
  ACL_vector vector_ = {};
};

}  // namespace pgha::backends::zk

#endif  // PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_OPTIONS_H_
