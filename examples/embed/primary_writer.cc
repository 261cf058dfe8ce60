// Embedding pgha: a service that keeps one libpq connection to the primary and moves it when
// the primary changes. It inserts a row every --interval-ms and appends the id of every
// acknowledged insert to ACK_FILE, so that a test can check that none was lost.
//
//   primary_writer CONFIG ACK_FILE [INTERVAL_MS]
//
// libpq's usual environment picks the user, password and database (PGUSER, PGPASSWORD,
// PGDATABASE, ~/.pgpass). On SIGTERM or SIGINT it prints a summary and exits 0.
#include <libpq-fe.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "pgha/backends/factory.h"
#include "pgha/client/client.h"
#include "pgha/client/conninfo.h"

namespace {

std::atomic<bool> stop_requested{false};

struct PgConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using Connection = std::unique_ptr<PGconn, PgConnCloser>;

bool Exec(PGconn* conn, const std::string& sql, std::string* error) {
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn, sql.c_str()), &PQclear);
  ExecStatusType status = PQresultStatus(r.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return true;
  *error = PQerrorMessage(conn);
  while (!error->empty() && error->back() == '\n') error->pop_back();
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::cerr << "usage: primary_writer CONFIG ACK_FILE [INTERVAL_MS]\n";
    return 2;
  }
  int interval_ms = 100;
  if (argc == 4 && (!absl::SimpleAtoi(argv[3], &interval_ms) || interval_ms < 0)) {
    std::cerr << "INTERVAL_MS must be a number of milliseconds, not '" << argv[3] << "'\n";
    return 2;
  }
  const absl::Duration interval = absl::Milliseconds(interval_ms);
  std::ofstream acks(argv[2], std::ios::app);
  if (!acks) {
    std::cerr << "cannot open " << argv[2] << "\n";
    return 1;
  }
  // The primary the connection goes to, and whether the view has moved on from it. The
  // callback only sets a flag: the writing thread owns the connection. Views arrive in order
  // but may lag the connection: only a view newer than the one the connection was made from
  // can say the primary moved. Declared before the client, so that they outlive its callback.
  std::mutex connected_mu;
  std::string connected_to;     // guarded by connected_mu
  uint64_t connected_view = 0;  // guarded by connected_mu
  std::string moved_because;    // guarded by connected_mu
  std::atomic<bool> primary_moved{false};

  pgha::backends::RegisterBuiltinBackends();
  auto made = pgha::client::Client::FromConfigFile(argv[1]);
  if (!made.ok()) {
    std::cerr << made.status() << "\n";
    return 1;
  }
  std::unique_ptr<pgha::client::Client> client = std::move(*made);
  std::signal(SIGINT, [](int) { stop_requested = true; });
  std::signal(SIGTERM, [](int) { stop_requested = true; });

  const pgha::client::Client::CallbackId watching =
      client->OnChange([&](const pgha::client::ClusterViewPtr& view) {
        std::lock_guard<std::mutex> lock(connected_mu);
        std::string now = view->primary ? view->primary->name : "";
        if (!connected_to.empty() && view->sequence > connected_view && now != connected_to) {
          moved_because = absl::StrCat("view ", view->sequence, ": primary '", now, "', leader '",
                                       view->leader, "'");
          primary_moved = true;
        }
      });

  Connection conn;
  int64_t next_id = absl::ToUnixMicros(absl::Now());  // unique across restarts of the example
  int64_t acknowledged = 0, reconnects = 0;
  std::optional<absl::Time> outage_since;  // the first failed write (or moved primary)
  while (!stop_requested) {
    if (primary_moved.exchange(false) && conn) {
      std::lock_guard<std::mutex> lock(connected_mu);
      std::cout << "the primary moved (" << moved_because << "): leaving " << connected_to
                << std::endl;
      conn.reset();
      connected_to.clear();
      if (!outage_since) outage_since = absl::Now();
    }
    if (!conn) {
      auto view = client->WaitForPrimary(absl::Seconds(1));
      if (!view.ok()) continue;  // a failover is under way: wait for the next view
      auto conninfo = pgha::client::PrimaryConnInfo(**view, {.application_name = "primary_writer"});
      if (!conninfo.ok()) {  // the primary publishes no usable address: wait for news
        client->WaitForNewerThan((*view)->sequence, absl::Seconds(1));
        continue;
      }
      Connection attempt(PQconnectdb(conninfo->c_str()));
      std::string error;
      if (PQstatus(attempt.get()) != CONNECTION_OK ||
          !Exec(attempt.get(),
                "CREATE TABLE IF NOT EXISTS primary_writer (id bigint PRIMARY KEY, "
                "at timestamptz NOT NULL DEFAULT now())",
                &error)) {
        if (!outage_since) outage_since = absl::Now();
        client->WaitForNewerThan((*view)->sequence, absl::Milliseconds(200));
        continue;
      }
      conn = std::move(attempt);
      {
        std::lock_guard<std::mutex> lock(connected_mu);
        connected_to = (*view)->primary->name;
        connected_view = (*view)->sequence;
        primary_moved = false;  // said of an earlier connection
        // A view that moved the primary while we connected reached the callback before
        // connected_to was set: look once more.
        pgha::client::ClusterViewPtr now = client->Current();
        if (now->sequence > connected_view &&
            (!now->primary || now->primary->name != connected_to)) {
          moved_because = absl::StrCat("view ", now->sequence, " while connecting");
          primary_moved = true;
        }
      }
      std::cout << "connected to " << connected_to << " (" << (*view)->primary->host << ":"
                << (*view)->primary->port << ")" << std::endl;
    }
    std::string error;
    const int64_t id = next_id++;
    if (Exec(conn.get(), absl::StrCat("INSERT INTO primary_writer (id) VALUES (", id, ")"),
             &error)) {
      acks << id << "\n" << std::flush;
      ++acknowledged;
      if (outage_since) {
        ++reconnects;
        std::cout << "writes resumed on " << connected_to << " after "
                  << absl::ToInt64Milliseconds(absl::Now() - *outage_since) << " ms" << std::endl;
        outage_since.reset();
      }
      absl::SleepFor(interval);
      continue;
    }
    // The write failed: the primary went away or stopped accepting writes. The row may or may
    // not be committed; it was not acknowledged, so it is not recorded.
    std::cout << "write failed on " << connected_to << ": " << error << std::endl;
    if (!outage_since) outage_since = absl::Now();
    conn.reset();
    std::lock_guard<std::mutex> lock(connected_mu);
    connected_to.clear();
  }
  (void)client->RemoveCallback(watching);
  std::cout << "acknowledged " << acknowledged << " writes, " << reconnects << " reconnects"
            << std::endl;
  return 0;
}
