#include "pg_connection.h"

#include <libpq-fe.h>

#include "absl/strings/str_cat.h"
#include "pgha/base/conninfo.h"
#include "absl/strings/strip.h"
#include "config_files.h"

namespace pgha::pg {
namespace {

std::string Message(PGconn* conn) {
  return std::string(absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn)));
}

}  // namespace

std::string BuildConnInfo(const ConnParams& params) {
  std::string out;
  for (const auto& [key, value] : params) AppendConnInfo(&out, key, value);
  return out;
}

std::string RedactedConnInfo(const ConnParams& params) {
  ConnParams copy = params;
  for (const char* secret : {"password", "sslpassword"}) {
    if (copy.count(secret) != 0) copy[secret] = "******";
  }
  return BuildConnInfo(copy);
}

std::string PatroniDsn(const ConnParams& params) {
  static const char* const kKeywords[] = {
      "dbname",      "user",          "host",           "port",         "sslmode",
      "sslcompression", "sslcert",    "sslkey",         "sslpassword",  "sslrootcert",
      "sslcrl",      "sslcrldir",     "application_name", "krbsrvname", "gssencmode",
      "channel_binding", "target_session_attrs"};
  std::string out;
  for (const char* keyword : kKeywords) {
    auto it = params.find(keyword);
    if (it == params.end() || it->second.empty()) continue;
    if (!out.empty()) out.push_back(' ');
    absl::StrAppend(&out, keyword, "=");
    for (char c : it->second) {
      if (c == '\'' || c == '\\' || c == ' ') out.push_back('\\');
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<std::string> ProgramConnInfo(ConnParams params, const std::string& service_file,
                                            std::vector<std::pair<std::string, std::string>>* env) {
  auto secret = params.find("sslpassword");
  if (secret == params.end() || secret->second.empty()) return BuildConnInfo(params);
  // A service file holds one unquoted value per line.
  if (secret->second.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError("sslpassword must not contain a line break");
  }
  absl::Status written = WriteFileAtomically(
      service_file, absl::StrCat("[pgha]\nsslpassword=", secret->second, "\n"), 0600);
  if (!written.ok()) return written;
  params.erase(secret);
  params["service"] = "pgha";
  env->emplace_back("PGSERVICEFILE", service_file);
  return BuildConnInfo(params);
}

std::optional<std::string> QueryResult::Get(size_t row, const std::string& name) const {
  if (row >= rows.size()) return std::nullopt;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return rows[row][i];
  }
  return std::nullopt;
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(const ConnParams& params) {
  ConnParams p = params;
  if (p.count("connect_timeout") == 0) p["connect_timeout"] = "3";
  PGconn* conn = PQconnectdb(BuildConnInfo(p).c_str());
  if (conn == nullptr) return absl::UnavailableError("libpq: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string error = Message(conn);
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL (",
                                               RedactedConnInfo(params), "): ", error));
  }
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::Healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

absl::StatusOr<QueryResult> PgConnection::Query(const std::string& sql,
                                                const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& v : params) values.push_back(v.c_str());
  PGresult* res = params.empty()
                      ? PQexec(conn_, sql.c_str())
                      : PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                     values.data(), nullptr, nullptr, 0);
  if (res == nullptr) return absl::UnavailableError(absl::StrCat("query failed: ", Message(conn_)));
  ExecStatusType status = PQresultStatus(res);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    std::string error(absl::StripTrailingAsciiWhitespace(PQresultErrorMessage(res)));
    const char* sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    std::string state = sqlstate != nullptr ? sqlstate : "";
    PQclear(res);
    if (PQstatus(conn_) != CONNECTION_OK) {
      return absl::UnavailableError(absl::StrCat("connection lost: ", error));
    }
    if (!state.empty()) absl::StrAppend(&error, " (SQLSTATE ", state, ")");
    return absl::FailedPreconditionError(error);
  }
  QueryResult out;
  int cols = PQnfields(res);
  int rows = PQntuples(res);
  for (int c = 0; c < cols; ++c) out.columns.emplace_back(PQfname(res, c));
  for (int r = 0; r < rows; ++r) {
    std::vector<std::optional<std::string>> row;
    for (int c = 0; c < cols; ++c) {
      if (PQgetisnull(res, r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
      }
    }
    out.rows.push_back(std::move(row));
  }
  PQclear(res);
  return out;
}

}  // namespace pgha::pg
