// ZooKeeper result codes as absl::Status, and session ids as text.
#ifndef PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_STATUS_H_
#define PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_STATUS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace pgha::backends::zk {

// The status for a ZooKeeper code, by what the caller should do (see pgha/dcs/backend.h).
// Callers remap codes whose meaning depends on the operation (ZNONODE, ZNODEEXISTS).
absl::Status ZkStatus(int rc, const std::string& what);

// A session id as RawEntry::session and SessionId() show it (lower-case hex, "" for 0).
std::string SessionHex(int64_t id);

}  // namespace pgha::backends::zk

#endif  // PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_STATUS_H_
