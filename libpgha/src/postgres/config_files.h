// The files pgha owns in a data directory, written Patroni's way: postgresql.conf (including the
// original as postgresql.base.conf), pg_hba.conf and pg_ident.conf when configured, the
// standby settings (standby.signal plus primary_conninfo & co. in postgresql.conf, PG 12+) and
// the pgpass file. Each writer returns whether the file changed.
#ifndef PGHA_POSTGRES_CONFIG_FILES_H_
#define PGHA_POSTGRES_CONFIG_FILES_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pgha/base/json.h"
#include "pgha/config/config.h"
#include "pgha/postgres/types.h"

namespace pgha::pg {

struct StandbySettings {
  Upstream upstream;
  std::string application_name;  // this member's name
  std::string slot_name;         // primary_slot_name; empty when slots are off
  std::string user;
  std::map<std::string, std::string> ssl_options;
  std::string passfile;
};

struct ConfFileInputs {
  std::string data_dir;
  std::string config_dir;  // == data_dir unless configured
  std::string scope;       // cluster_name
  std::string listen_addresses;
  int port = 5432;
  Json parameters = Json::object();
  std::string custom_conf;  // included instead of postgresql.base.conf when set
  Json recovery_conf = Json::object();
  std::optional<StandbySettings> standby;  // unset: primary (or standalone)
  // A custom bootstrap's point-in-time recovery (the method's recovery_conf): written for the
  // primary while it recovers to its target, with recovery.signal.
  Json archive_recovery = Json::object();
};

// The parameters as the server's major version (12, 13, ... from PG_VERSION; 0 when unknown)
// takes them, as Patroni adapts them: wal_keep_segments (before 13) and wal_keep_size (13 on)
// are converted into each other at 16 MB a segment, and the one the server does not know is
// dropped. Each change is described in `notes` (for the log).
// Also drops what the server version would refuse (parameter_check.h); `available` is what the
// server binary lists, empty when unknown.
Json ParametersForServer(const Json& parameters, int server_major, std::vector<std::string>* notes,
                         const std::set<std::string>& available = {});

// A GUC value as postgresql.conf wants it: quoted, with quotes and backslashes escaped.
std::string QuoteGucValue(const Json& value);

// The text of postgresql.conf for `in`.
std::string RenderPostgresqlConf(const ConfFileInputs& in);
absl::StatusOr<bool> WritePostgresqlConf(const ConfFileInputs& in);

// Moves initdb's postgresql.conf to postgresql.base.conf (once).
absl::Status KeepBaseConf(const std::string& config_dir);

absl::StatusOr<bool> WriteLinesFile(const std::string& path, const std::vector<std::string>& lines);
absl::Status AppendLines(const std::string& path, const std::vector<std::string>& lines);

// standby.signal present iff `standby`.
// standby.signal for a standby; recovery.signal for a primary in archive recovery (a custom
// bootstrap's point-in-time restore); neither otherwise.
absl::Status SetStandbySignal(const std::string& data_dir, bool standby, bool archive_recovery = false);

// primary_conninfo for a standby (a libpq conninfo string, passfile instead of a password).
std::string PrimaryConnInfo(const StandbySettings& s);

// Writes the pgpass file (mode 0600) with an entry per configured role.
absl::Status WritePgpass(const std::string& path, const std::vector<config::UserAuth>& users);

// The postgres command-line options pgha sets (listen_addresses, port, cluster_name and the
// cluster-wide GUCs), as arguments for `pg_ctl -o`.
std::vector<std::string> CommandLineGucs(const ConfFileInputs& in);

// Writes `content` to `path` atomically (temp file + rename) with `mode`.
absl::Status WriteFileAtomically(const std::string& path, const std::string& content, int mode);

}  // namespace pgha::pg

#endif  // PGHA_POSTGRES_CONFIG_FILES_H_
