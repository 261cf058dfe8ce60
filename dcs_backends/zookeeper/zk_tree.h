// Whole-subtree operations over one session: the watched read behind Load(), create with
// missing parents, and recursive delete. Requests are pipelined level by level: ZooKeeper applies
// one session's requests in order, so a level costs one round trip.
#ifndef PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_TREE_H_
#define PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_TREE_H_

#include <zookeeper/zookeeper.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pgha/dcs/backend.h"
#include "zk_session.h"

namespace pgha::backends::zk {

// The znode a prefix names: "/service/demo/" -> "/service/demo"; "/" stays "/".
std::string RootOf(const std::string& prefix);

// Every znode under `prefix` (recursively) with its data, version (its mzxid: the zxid of its
// last write, which, unlike the data version, never repeats when a znode is deleted and
// re-created) and ephemeral owner.
// Znodes that only hold children (empty data, at least one child) are not entries; an empty
// parent left without children ("members" after the last member left) is one, with an empty
// value, since ZooKeeper cannot tell it from a key written empty. Leaves a
// watch on each znode read and on the children of each znode that has or may get children
// (empty data), and a creation watch on the root when it is absent, so that any change fires
// one. Sorted by key.
absl::StatusOr<std::vector<dcs::RawEntry>> ReadTree(Session& session, const std::string& prefix,
                                                    absl::Time deadline);

// Creates `path`, first creating its missing parents as persistent znodes with empty data (when
// the first attempt says ZNONODE). Returns the answer to the create: its ZooKeeper code (or that
// of the first failed parent) and, on success, the new znode's Stat.
Reply CreateWithParents(Session& session, const std::string& path, const std::string& value,
                        bool ephemeral, const ACL_vector* acl, absl::Time deadline);

// Deletes the znode `prefix` names and everything under it. Absent is success.
absl::Status DeleteTree(Session& session, const std::string& prefix, absl::Time deadline);

}  // namespace pgha::backends::zk

#endif  // PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_TREE_H_
