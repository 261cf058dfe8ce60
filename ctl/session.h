// Everything a pghactl command talks to: the client configuration (patronictl's -c/-d/-k
// handling), the DCS of a named cluster (read linearizably, as patronictl 3.0.4+ does), the
// members' REST APIs with the ctl/restapi credentials, the terminal, and the clock.
//
// Thread-safety: one thread (a command run).
#ifndef PGHA_CTL_SESSION_H_
#define PGHA_CTL_SESSION_H_

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ctl/prompt.h"
#include "pgha/api/http_client.h"
#include "pgha/config/config.h"
#include "pgha/config/loader.h"
#include "pgha/dcs/dcs.h"

namespace pgha::ctl {

struct GlobalOptions {
  std::string config_file;  // -c/--config-file or PATRONICTL_CONFIG_FILE; "" for the default file
  std::string dcs_url;      // -d/--dcs-url/--dcs or DCS_URL
  bool insecure = false;    // -k/--insecure
};

// How long pghactl waits for one REST call. patronictl sets no timeout at all; these bound a
// hung member while leaving room for the calls that wait on purpose (a switchover waits for
// the new leader, a restart for PostgreSQL).
inline constexpr absl::Duration kRestTimeout = absl::Seconds(60);
inline constexpr absl::Duration kRestartTimeout = absl::Minutes(10);

class Session {
 public:
  // Loads the configuration: the -c file, else ~/.config/patroni/patronictl.yaml when it exists
  // (else nothing); PATRONI_* variables apply; -d replaces the file's DCS section. Errors are
  // CtlError with patronictl's wording where it has one.
  static absl::StatusOr<std::unique_ptr<Session>> Open(const GlobalOptions& options,
                                                       const config::Environment& env,
                                                       std::istream& in, std::ostream& out);

  const config::Config& config() const { return config_; }
  // The cluster a command names, else the configuration's scope. CtlError when neither exists.
  absl::StatusOr<std::string> ClusterName(const std::string& argument) const;

  // A DCS client for `cluster_name` under the configured namespace.
  absl::StatusOr<std::unique_ptr<dcs::Dcs>> OpenDcs(const std::string& cluster_name) const;
  // One linearizable read of the whole cluster.
  static absl::StatusOr<dcs::ClusterStatePtr> Load(dcs::Dcs& dcs);

  // `method` on the member's REST API: `endpoint` ("switchover") replaces the api_url path, ""
  // keeps it (/patroni). `body` is sent as Python's json.dumps would write it. kUnavailable
  // when the member publishes no api_url or cannot be reached.
  absl::StatusOr<api::HttpResponse> Request(const dcs::Member& member, const std::string& method,
                                            const std::string& endpoint,
                                            const std::optional<Json>& body = std::nullopt,
                                            absl::Duration timeout = kRestTimeout) const;

  Prompter& prompter() { return prompter_; }
  std::ostream& out() { return out_; }
  bool out_is_terminal() const { return out_is_terminal_; }
  absl::Time Now() const { return absl::Now(); }
  absl::TimeZone LocalZone() const { return absl::LocalTimeZone(); }
  void Sleep(absl::Duration d) const { absl::SleepFor(d); }
  // A warning in patronictl's logging format ("<time> - WARNING - <message>") on stderr.
  void Warn(const std::string& message) const;

 private:
  Session(config::Config config, bool has_dcs, bool insecure, std::istream& in, std::ostream& out,
          bool in_tty, bool out_tty)
      : config_(std::move(config)),
        has_dcs_(has_dcs),
        insecure_(insecure),
        prompter_(in, out, in_tty),
        out_(out),
        out_is_terminal_(out_tty) {}

  config::Config config_;
  bool has_dcs_;  // false: neither the configuration nor -d names a DCS
  bool insecure_;
  Prompter prompter_;
  std::ostream& out_;
  bool out_is_terminal_;
};

}  // namespace pgha::ctl

#endif  // PGHA_CTL_SESSION_H_
