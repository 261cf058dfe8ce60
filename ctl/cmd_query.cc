// query: run SQL on the leader, a member with a role, or a named member, through libpq, and print
// the rows in print_output's formats (tsv by default). Errors become a row
// "<timestamp> ERROR, SQLSTATE: <code>", as in patronictl.
#include <libpq-fe.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <ostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/member_select.h"
#include "ctl/table.h"

namespace pgha::ctl {
namespace {

struct Options {
  std::string cluster;
  std::string fmt = "tsv";
  std::string file;
  bool password = false;
  std::string username;
  bool W = false;
  double watch = 0;
  std::string role;
  std::string member;
  std::string delimiter = "\t";
  std::optional<std::string> command;
  std::string dbname;
};

struct ConnectParameters {
  std::string username, password, dbname;
};

using PgConn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

// A cell as the Python value psycopg2 would have returned, so that str() and json.dumps print
// the same: NULL is None, booleans True/False, integers and floats numbers, the rest text.
Json Cell(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col)) return Json();
  std::string text = PQgetvalue(res, row, col);
  switch (PQftype(res, col)) {
    case 16:  // bool
      return Json(text == "t");
    case 20:    // int8
    case 21:    // int2
    case 23:    // int4
    case 26: {  // oid
      int64_t v = 0;
      return absl::SimpleAtoi(text, &v) ? Json(v) : Json(text);
    }
    case 700:    // float4
    case 701: {  // float8
      double d = 0;
      return absl::SimpleAtod(text, &d) ? Json(d) : Json(text);
    }
    default:
      return Json(text);
  }
}

Table ErrorRow(Session& s, const std::string& message) {
  Table t;
  t.rows.push_back({Json(Timestamp(s, 0)), Json(message)});
  return t;
}

Table SqlError(Session& s, const std::string& message) {
  return ErrorRow(s, "ERROR, SQLSTATE: " + absl::StrReplaceAll(message, {{"\n", " "}}));
}

// patronictl's get_cursor + query_member for one run.
Table QueryMember(Session& s, const dcs::ClusterState& cluster, const std::string& member,
                  const std::string& role, const std::string& command, const ConnectParameters& p) {
  auto m = GetAnyMember(cluster, role, member);
  std::string unavailable = member.empty() ? "No connection to role=" + role + " is available"
                                           : "No connection to member " + member + " is available";
  if (!m) return ErrorRow(s, unavailable);
  std::vector<std::pair<std::string, std::string>> params = {{"host", m->Host()},
                                                             {"port", std::to_string(m->Port())}};
  if (!p.username.empty()) params.emplace_back("user", p.username);
  if (!p.password.empty()) params.emplace_back("password", p.password);
  if (!p.dbname.empty()) params.emplace_back("dbname", p.dbname);
  params.emplace_back("fallback_application_name", "Patroni ctl");
  params.emplace_back("connect_timeout", "5");
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PgConn conn(PQconnectdbParams(keys.data(), values.data(), 0), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) return SqlError(s, PQerrorMessage(conn.get()));

  if (role != "any" && role != "leader") {
    PgResult check(PQexec(conn.get(), "SELECT pg_catalog.pg_is_in_recovery()"), &PQclear);
    if (PQresultStatus(check.get()) != PGRES_TUPLES_OK || PQntuples(check.get()) != 1) {
      const char* state = PQresultErrorField(check.get(), PG_DIAG_SQLSTATE);
      return SqlError(s, state ? state : PQerrorMessage(conn.get()));
    }
    bool in_recovery = std::string(PQgetvalue(check.get(), 0, 0)) == "t";
    bool wanted = in_recovery ? (role == "replica" || role == "standby" || role == "standby-leader")
                              : (role == "primary" || role == "master");
    if (!wanted) return ErrorRow(s, unavailable);
  }

  PgResult res(PQexec(conn.get(), command.c_str()), &PQclear);
  ExecStatusType status = PQresultStatus(res.get());
  if (status == PGRES_TUPLES_OK) {
    Table t;
    for (int c = 0; c < PQnfields(res.get()); ++c) t.columns.push_back(PQfname(res.get(), c));
    for (int r = 0; r < PQntuples(res.get()); ++r) {
      Row row;
      for (int c = 0; c < PQnfields(res.get()); ++c) row.push_back(Cell(res.get(), r, c));
      t.rows.push_back(std::move(row));
    }
    return t;
  }
  if (status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY) {
    return SqlError(s,
                    "no results to fetch");  // psycopg2's fetchall() after a statement without rows
  }
  const char* state = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE);
  return SqlError(s, state ? state : PQerrorMessage(conn.get()));
}

absl::Status Run(Session& s, Options o) {
  if (!o.member.empty()) {
    if (!o.role.empty()) return CtlError("--role and --member are mutually exclusive options");
    o.role = "any";
  }
  if (o.member.empty() && o.role.empty()) o.role = "leader";
  if (!o.file.empty() && o.command)
    return CtlError("--file and --command are mutually exclusive options");
  if (o.file.empty() && !o.command)
    return CtlError("You need to specify either --command or --file");
  std::string command = o.command.value_or("");
  if (!o.file.empty()) {
    std::ifstream in(o.file, std::ios::binary);
    if (!in)
      return UsageError("Invalid value for '--file' / '-f': '" + o.file +
                        "': No such file or directory");
    command.assign(std::istreambuf_iterator<char>(in), {});
  }
  ConnectParameters p;
  p.username = o.username;
  p.dbname = o.dbname;
  if (o.password) {
    auto password = s.prompter().Prompt("Password", std::nullopt, /*hide_input=*/true);
    if (!password.ok()) return password.status();
    p.password = *password;
  }
  auto name = s.ClusterName(o.cluster);
  if (!name.ok()) return name.status();
  auto dcs = s.OpenDcs(*name);
  if (!dcs.ok()) return dcs.status();
  double interval = o.watch > 0 ? o.watch : (o.W ? 2 : 0);
  return Watching(s, interval, /*clear=*/false, [&]() -> absl::Status {
    auto cluster = Session::Load(**dcs);
    if (!cluster.ok()) return cluster.status();
    s.out() << PrintOutput(QueryMember(s, **cluster, o.member, o.role, command, p), o.fmt,
                           o.delimiter);
    return absl::OkStatus();
  });
}

}  // namespace

void AddQueryCommand(CLI::App& app, CommandTable& table) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("query", "Query a Patroni PostgreSQL member");
  cmd->add_option("cluster_name", o->cluster, "Cluster (default: the configured scope)");
  cmd->add_option("--format", o->fmt, "Output format (pretty, tsv, json, yaml)");
  cmd->add_option("-f,--file", o->file, "Execute the SQL commands from this file");
  cmd->add_flag("--password", o->password, "force password prompt");
  cmd->add_option("-U,--username", o->username, "database user name");
  cmd->add_flag("-W", o->W, "Auto update the screen every 2 seconds");
  cmd->add_option("-w,--watch", o->watch, "Auto update the screen every X seconds");
  AddRoleOption(cmd, &o->role, "The role of the query");
  cmd->add_option("-m,--member", o->member, "Query a specific member");
  cmd->add_option("--delimiter", o->delimiter, "The column delimiter");
  cmd->add_option("-c,--command", o->command, "The SQL commands to execute");
  cmd->add_option("-d,--dbname", o->dbname, "database name to connect to");
  table.Add(cmd, [o](Session& s) { return Run(s, *o); });
}

}  // namespace pgha::ctl
