// A libpq connection with short timeouts, and the few query shapes pgha needs.
#ifndef PGHA_POSTGRES_PG_CONNECTION_H_
#define PGHA_POSTGRES_PG_CONNECTION_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

typedef struct pg_conn PGconn;

namespace pgha::pg {

// libpq keyword/value parameters; BuildConnInfo quotes them into a conninfo string.
using ConnParams = std::map<std::string, std::string>;
std::string BuildConnInfo(const ConnParams& params);
// The same for logs: password and sslpassword replaced.
std::string RedactedConnInfo(const ConnParams& params);
// A key=value DSN as Patroni's format_dsn writes it for post_bootstrap: dbname, user, host,
// port, then the SSL and session keywords libpq knows, in that order; no password or passfile
// (the script gets PGPASSFILE); spaces, quotes and backslashes escaped with a backslash.
std::string PatroniDsn(const ConnParams& params);
// The connection string for a program's command line (pg_basebackup, pg_rewind), which any
// local user can read in the process list: an sslpassword moves into a private service file
// at `service_file` (mode 0600) that `*env` points PGSERVICEFILE at, as passwords are in pgpass.
absl::StatusOr<std::string> ProgramConnInfo(ConnParams params, const std::string& service_file,
                                            std::vector<std::pair<std::string, std::string>>* env);

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  // Value of column `name` in row `row` (nullopt for NULL or an unknown column).
  std::optional<std::string> Get(size_t row, const std::string& name) const;
};

class PgConnection {
 public:
  // kUnavailable when the server cannot be reached or refuses the connection.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const ConnParams& params);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement (parameters as text). SQL errors are kFailedPrecondition with the
  // server's message and SQLSTATE; a broken connection is kUnavailable.
  absl::StatusOr<QueryResult> Query(const std::string& sql,
                                    const std::vector<std::string>& params = {});
  bool Healthy() const;

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  PGconn* conn_;
};

}  // namespace pgha::pg

#endif  // PGHA_POSTGRES_PG_CONNECTION_H_
