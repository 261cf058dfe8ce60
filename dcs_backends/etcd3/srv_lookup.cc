#include "srv_lookup.h"

#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>

#include "absl/strings/str_cat.h"

namespace pgha::backends::etcd {
namespace {

std::vector<std::string> QuerySrv(const std::string& name) {
  std::vector<std::string> out;
  unsigned char answer[NS_PACKETSZ * 4];
  struct __res_state state {};
  if (res_ninit(&state) != 0) return out;
  int len = res_nquery(&state, name.c_str(), ns_c_in, ns_t_srv, answer, sizeof answer);
  if (len > 0) {
    ns_msg msg;
    if (ns_initparse(answer, len, &msg) == 0) {
      for (int i = 0; i < ns_msg_count(msg, ns_s_an); ++i) {
        ns_rr rr;
        if (ns_parserr(&msg, ns_s_an, i, &rr) != 0 || ns_rr_type(rr) != ns_t_srv) continue;
        const unsigned char* rdata = ns_rr_rdata(rr);
        int port = (rdata[4] << 8) | rdata[5];
        char target[NS_MAXDNAME];
        if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), rdata + 6, target, sizeof target) < 0) {
          continue;
        }
        out.push_back(absl::StrCat(target, ":", port));
      }
    }
  }
  res_nclose(&state);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> LookupEtcdSrv(const std::string& domain,
                                                       const std::string& suffix, bool tls) {
  std::string tail = suffix.empty() ? "" : absl::StrCat("-", suffix);
  std::vector<std::string> services;
  if (tls) services.push_back(absl::StrCat("_etcd-client-ssl", tail, "._tcp.", domain));
  services.push_back(absl::StrCat("_etcd-client", tail, "._tcp.", domain));
  for (const auto& service : services) {
    auto found = QuerySrv(service);
    if (!found.empty()) return found;
  }
  return absl::UnavailableError(absl::StrCat("no etcd SRV records for ", domain));
}

}  // namespace pgha::backends::etcd
