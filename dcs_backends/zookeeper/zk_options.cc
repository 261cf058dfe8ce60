#include "zk_options.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace pgha::backends::zk {
namespace {

// The port of "host:port[/chroot]" or "[v6]:port", if any.
bool HasPort(absl::string_view host) {
  host = host.substr(0, host.find('/'));
  if (absl::StartsWith(host, "[")) return host.find("]:") != absl::string_view::npos;
  return host.find(':') != absl::string_view::npos;
}

absl::StatusOr<int> Permission(const Json& name) {
  if (!name.is_string()) {
    return absl::InvalidArgumentError("zookeeper.set_acls: permissions must be strings");
  }
  std::string upper = absl::AsciiStrToUpper(name.get<std::string>());
  if (upper == "READ") return ZOO_PERM_READ;
  if (upper == "WRITE") return ZOO_PERM_WRITE;
  if (upper == "CREATE") return ZOO_PERM_CREATE;
  if (upper == "DELETE") return ZOO_PERM_DELETE;
  if (upper == "ADMIN") return ZOO_PERM_ADMIN;
  if (upper == "ALL") return ZOO_PERM_ALL;
  return absl::InvalidArgumentError(absl::StrCat("zookeeper.set_acls: unknown permission '",
                                                 name.get<std::string>(),
                                                 "' (READ, WRITE, CREATE, DELETE, ADMIN or ALL)"));
}

}  // namespace

absl::StatusOr<std::string> JoinHosts(const std::vector<std::string>& hosts) {
  std::vector<std::string> all;
  for (const std::string& entry : hosts) {
    for (absl::string_view host : absl::StrSplit(entry, ',', absl::SkipWhitespace())) {
      host = absl::StripAsciiWhitespace(host);
      if (HasPort(host)) {
        all.emplace_back(host);
      } else {
        size_t slash = host.find('/');
        all.push_back(absl::StrCat(host.substr(0, slash), ":2181",
                                   slash == absl::string_view::npos ? "" : host.substr(slash)));
      }
    }
  }
  if (all.empty()) return absl::InvalidArgumentError("zookeeper.hosts: no hosts configured");
  return absl::StrJoin(all, ",");
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseAuthData(const Json& auth) {
  std::vector<std::pair<std::string, std::string>> out;
  if (auth.is_null()) return out;
  const char* kShape =
      "zookeeper.auth_data: expected {scheme: credential} or [[scheme, credential], ...]";
  if (auth.is_object()) {
    for (const auto& [scheme, credential] : auth.items()) {
      if (!credential.is_string()) return absl::InvalidArgumentError(kShape);
      out.emplace_back(scheme, credential.get<std::string>());
    }
    return out;
  }
  if (!auth.is_array()) return absl::InvalidArgumentError(kShape);
  for (const Json& pair : auth) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      return absl::InvalidArgumentError(kShape);
    }
    out.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const AclList>> AclList::FromConfig(const Json& set_acls) {
  std::shared_ptr<AclList> list(new AclList());
  if (set_acls.is_null() || (set_acls.is_object() && set_acls.empty())) return list;
  if (!set_acls.is_object()) {
    return absl::InvalidArgumentError("zookeeper.set_acls: expected {principal: [permissions]}");
  }
  for (const auto& [principal, permissions] : set_acls.items()) {
    int perms = 0;
    if (permissions.is_array()) {
      for (const Json& p : permissions) {
        auto bit = Permission(p);
        if (!bit.ok()) return bit.status();
        perms |= *bit;
      }
    } else {
      auto bit = Permission(permissions);
      if (!bit.ok()) return bit.status();
      perms = *bit;
    }
    std::pair<std::string, std::string> id("x509", principal);
    if (size_t colon = principal.find(':'); colon != std::string::npos) {
      id = {principal.substr(0, colon), principal.substr(colon + 1)};
    }
    list->strings_.push_back(id.first);
    char* scheme = list->strings_.back().data();
    list->strings_.push_back(id.second);
    char* credential = list->strings_.back().data();
    list->acls_.push_back(ACL{perms, Id{scheme, credential}});
  }
  list->vector_.count = static_cast<int32_t>(list->acls_.size());
  list->vector_.data = list->acls_.data();
  return list;
}

}  // namespace pgha::backends::zk
