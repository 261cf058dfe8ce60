#include "zk_status.h"

#include <zookeeper/zookeeper.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pgha::backends::zk {

absl::Status ZkStatus(int rc, const std::string& what) {
  if (rc == ZOK) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", zerror(rc));
  switch (rc) {
    case ZNONODE:
      return absl::NotFoundError(message);
    case ZNODEEXISTS:
      return absl::AlreadyExistsError(message);
    case ZBADVERSION:
      return absl::AbortedError(message);
    case ZNOAUTH:
      return absl::PermissionDeniedError(message);
    case ZAUTHFAILED:
    case ZSESSIONCLOSEDREQUIRESASLAUTH:
      return absl::UnauthenticatedError(message);
    case ZNOTEMPTY:
    case ZNOCHILDRENFOREPHEMERALS:
      return absl::FailedPreconditionError(message);
    case ZBADARGUMENTS:
    case ZINVALIDACL:
      return absl::InvalidArgumentError(message);
    case ZOPERATIONTIMEOUT:
      return absl::UnavailableError(absl::StrCat(what, ": ZooKeeper did not answer in time"));
    case ZSYSTEMERROR:
    case ZCONNECTIONLOSS:
    case ZSESSIONEXPIRED:
    case ZSESSIONMOVED:
    case ZCLOSING:
    case ZINVALIDSTATE:
    case ZNOTREADONLY:
    case ZTHROTTLEDOP:
    case ZSSLCONNECTIONERROR:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

std::string SessionHex(int64_t id) {
  return id == 0 ? std::string() : absl::StrFormat("%x", static_cast<uint64_t>(id));
}

}  // namespace pgha::backends::zk
