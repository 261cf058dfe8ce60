// The libpq/pg_ctl implementation of PostgresController. Its methods are spread over
// controller.cc (lifecycle), observe.cc, bootstrap.cc, replica.cc, rewind.cc and slots.cc.
#ifndef PGHA_POSTGRES_CONTROLLER_IMPL_H_
#define PGHA_POSTGRES_CONTROLLER_IMPL_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "callbacks.h"
#include "config_files.h"
#include "pg_connection.h"
#include "pgha/postgres/controller.h"
#include "postmaster.h"

namespace pgha::pg {

class LibpqController final : public PostgresController {
 public:
  explicit LibpqController(ControllerOptions options);
  ~LibpqController() override;

  absl::Status ApplyConfig(const config::EffectiveConfig& effective) override;
  Observation Observe() override;
  Observation ObservePositions() override;
  absl::Status Bootstrap() override;
  absl::Status CreateReplica(const CloneSource& source) override;
  absl::Status Start(const std::optional<Upstream>& upstream, bool as_standby,
                     absl::Duration timeout) override;
  absl::Status Stop(StopMode mode, absl::Duration timeout) override;
  absl::Status Restart(const std::optional<Upstream>& upstream, bool as_standby,
                       absl::Duration timeout) override;
  absl::Status Reload() override;
  absl::Status Promote(absl::Duration timeout) override;
  absl::Status Follow(const std::optional<Upstream>& upstream, absl::Duration timeout) override;
  absl::StatusOr<bool> NeedsRewind(const Upstream& leader) override;
  absl::Status Rewind(const Upstream& leader) override;
  bool CanRewind() override;
  absl::Status RemoveDataDirectory() override;
  absl::Status Checkpoint() override;
  absl::Status SyncReplicationSlots(const std::vector<DesiredSlot>& wanted,
                                    const std::vector<std::string>& drop) override;
  absl::Status CopyLogicalSlots(const Upstream& leader, const std::vector<DesiredSlot>& slots,
                                const std::optional<Upstream>& upstream, absl::Duration timeout) override;
  absl::Status SetSynchronousStandbyNames(const std::string& value) override;
  void RunCallback(CallbackAction action, const std::string& role) override;

 private:
  // ---- helpers shared by the method files ----
  const config::PostgresqlConfig& pgconf() const { return options_.local.postgresql; }
  std::string Bin(const std::string& program) const { return pgconf().Binary(program); }
  std::string DataDir() const { return pgconf().data_dir; }
  std::string ConfigDir() const;
  std::string PgpassPath() const;
  std::string ListenAddresses() const;
  int Port() const;
  // Parameters for a libpq connection to the local server as the superuser.
  ConnParams LocalParams(const std::string& dbname = "postgres") const;
  // Parameters for a connection to `upstream` as `user`.
  ConnParams RemoteParams(const Upstream& upstream, const config::UserAuth& user,
                          const std::string& dbname = "postgres") const;
  const config::UserAuth& RewindUser() const;
  // The major version of the data directory (PG_VERSION), 0 when there is none yet.
  int ServerMajorVersion() const;
  ConfFileInputs Inputs(const std::optional<Upstream>& upstream, bool as_standby) const;
  // What `postgres --describe-config` lists (asked once, when a data directory exists; empty
  // when the binary could not say).
  mutable std::optional<std::set<std::string>> available_parameters_;
  // A custom bootstrap recovering to its target (recovery_conf, keep_existing_recovery_conf).
  bool bootstrap_recovering_ = false;
  Json bootstrap_recovery_ = Json::object();
  // Until PostgreSQL left archive recovery (promoted at its recovery target).
  absl::Status WaitForEndOfRecovery(absl::Duration timeout);
  // The pgpass file with every configured role (tools and the walreceiver read it).
  absl::Status WritePgpassFile();
  // Writes postgresql.conf, pg_hba/pg_ident (when configured), standby.signal and pgpass.
  absl::StatusOr<bool> WriteConfigFiles(const std::optional<Upstream>& upstream, bool as_standby);
  void DropConnection();
  absl::StatusOr<QueryResult> Query(const std::string& sql,
                                    const std::vector<std::string>& params = {});
  // Polls until the server accepts connections; fails early when the postmaster died.
  absl::Status WaitUntilAccepting(absl::Duration timeout);
  absl::Status CheckBinaries(const std::vector<std::string>& programs) const;
  DataDirState InspectDataDir() const;
  // A primary's pg_wal/<timeline>.history, for the `history` key.
  void ReadTimelineHistory(Observation* o) const;
  // A primary's pg_stat_replication rows.
  void ReadReplicationRows(Observation* o);
  // Moves the data directory aside to <data_dir>.failed (after a failed bootstrap).
  void MoveDataDirAside();
  absl::Status CreateRoles(bool set_superuser_password);
  // CreateRoles with the statement logging already turned off.
  absl::Status CreateRolesQuietly(bool set_superuser_password);
  absl::Status RunCustomBootstrap();
  absl::Status RunInitdb();
  absl::Status RunPostBootstrap();
  absl::Status CloneWithBasebackup(const Upstream& upstream);
  absl::Status CloneWithMethod(const std::string& name, const std::optional<Upstream>& upstream);
  absl::Status EnsureCleanShutdown();
  absl::StatusOr<Lsn> CheckpointEnd(int timeline, Lsn lsn);

  ControllerOptions options_;
  ProcessRunner* runner_;
  std::unique_ptr<ProcessRunner> owned_runner_;
  Clock* clock_;
  Postmaster postmaster_;
  CallbackRunner callbacks_;
  std::string synchronous_standby_names_;  // set by SetSynchronousStandbyNames
  bool have_sync_names_override_ = false;
  std::optional<Upstream> last_upstream_;   // what the config files point at
  bool last_as_standby_ = false;
  std::mutex conn_mu_;
  std::unique_ptr<PgConnection> conn_;  // guarded by conn_mu_
};

}  // namespace pgha::pg

#endif  // PGHA_POSTGRES_CONTROLLER_IMPL_H_
