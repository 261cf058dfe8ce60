#include "recorder.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "pg_connection.h"
#include "pgha/base/clock.h"

namespace pgha::testing {
namespace {


std::unique_ptr<pg::PgConnection> Open(const WriteTarget& t) {
  auto c = pg::PgConnection::Connect({{"host", "127.0.0.1"},
                                      {"port", std::to_string(t.port)},
                                      {"user", "postgres"},
                                      {"dbname", "postgres"},
                                      {"passfile", t.passfile},
                                      {"connect_timeout", "2"},
                                      // A write must be answered or fail; never wait forever.
                                      {"options", "-c statement_timeout=3000"}});
  return c.ok() ? std::move(*c) : nullptr;
}

// One write through a kept connection (reopened after a failure). True when acknowledged.
bool Write(std::unique_ptr<pg::PgConnection>& conn, const WriteTarget& t, int64_t id) {
  if (!conn) conn = Open(t);
  if (!conn) return false;
  auto r = conn->Query("INSERT INTO acked(id) VALUES ($1)", {std::to_string(id)});
  if (!r.ok()) {
    // PGHA_FAULT_DEBUG=1: every failed write and the probes around the fault, on stderr.
    if (std::getenv("PGHA_FAULT_DEBUG") != nullptr) {
      std::fprintf(stderr, "write on %s failed: %s\n", t.name.c_str(), std::string(r.status().message()).c_str());
    }
    conn.reset();
    return false;
  }
  return true;
}

}  // namespace

// Ids start at the wall clock in microseconds: trials on one cluster share the table, and a
// later trial's ids (counting up by about 30 a second) never meet an earlier one's.
Recorder::Recorder(std::vector<WriteTarget> nodes)
    : nodes_(std::move(nodes)), next_id_(absl::ToUnixMicros(absl::Now())) {}
Recorder::~Recorder() { Stop(); }

bool Recorder::CreateTables(const WriteTarget& primary) {
  auto c = Open(primary);
  return c && c->Query("CREATE TABLE IF NOT EXISTS acked(id bigint PRIMARY KEY)").ok();
}

void Recorder::Start() {
  threads_.emplace_back([this] { ClientLoop(); });
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
    threads_.emplace_back([this, i] { ProbeLoop(i); });
  }
}

void Recorder::Stop() {
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Recorder::Record(const Attempt& a, bool probe) {
  std::lock_guard<std::mutex> lock(mu_);
  (probe ? probe_ : client_).push_back(a);
}

// The client: every 100 ms one new row, to the node that took the last one, else the next.
void Recorder::ClientLoop() {
  std::vector<std::unique_ptr<pg::PgConnection>> conns(nodes_.size());
  int preferred = 0;
  absl::Time next = MonotonicNow();
  while (!stop_) {
    for (size_t k = 0; k < nodes_.size() && !stop_; ++k) {
      int node = (preferred + static_cast<int>(k)) % static_cast<int>(nodes_.size());
      Attempt a{node, next_id_++, MonotonicNow(), {}, false};
      a.acked = Write(conns[node], nodes_[node], a.id);
      a.done = MonotonicNow();
      Record(a, false);
      if (a.acked) {
        preferred = node;
        break;
      }
    }
    next += absl::Milliseconds(100);
    absl::Time now = MonotonicNow();
    if (next > now) absl::SleepFor(next - now); else next = now;
  }
}

// The probe: every 100 ms a write on this node, whatever its role.
void Recorder::ProbeLoop(int node) {
  std::unique_ptr<pg::PgConnection> conn;
  absl::Time next = MonotonicNow();
  while (!stop_) {
    Attempt a{node, next_id_++, MonotonicNow(), {}, false};
    a.acked = Write(conn, nodes_[node], a.id);
    a.done = MonotonicNow();
    Record(a, true);
    next += absl::Milliseconds(100);
    absl::Time now = MonotonicNow();
    if (next > now) absl::SleepFor(next - now); else next = now;
  }
}

TrialFigures Recorder::Analyse(int final_primary, absl::Time from) const {
  // A copy of the records: the writers go on while the final primary is queried.
  std::vector<Attempt> client, probe;
  {
    std::lock_guard<std::mutex> lock(mu_);
    client = client_;
    probe = probe_;
  }
  TrialFigures f;
  // Writable runs per node: maximal sequences of acknowledged probes, from the first
  // acknowledgement to the last. Two nodes' runs overlapping = two writable nodes.
  struct Run {
    int node;
    absl::Time start, end;
  };
  std::vector<Run> runs;
  std::map<int, std::vector<Attempt>> by_node;
  for (const auto& a : probe) by_node[a.node].push_back(a);
  for (auto& [node, attempts] : by_node) {
    std::sort(attempts.begin(), attempts.end(), [](const Attempt& x, const Attempt& y) { return x.sent < y.sent; });
    std::optional<Run> open;
    for (const auto& a : attempts) {
      if (a.acked) {
        if (!open) open = Run{node, a.done, a.done};
        open->end = a.done;
      } else if (open) {
        runs.push_back(*open);
        open.reset();
      }
    }
    if (open) runs.push_back(*open);
  }
  for (size_t i = 0; i < runs.size(); ++i) {
    for (size_t j = i + 1; j < runs.size(); ++j) {
      if (runs[i].node == runs[j].node) continue;
      absl::Time s = std::max(runs[i].start, runs[j].start);
      absl::Time e = std::min(runs[i].end, runs[j].end);
      if (s <= e) {
        f.two_writable += e - s + absl::Milliseconds(1);  // one common acknowledgement counts
        f.overlaps.push_back(absl::StrCat(nodes_[runs[i].node].name, " and ", nodes_[runs[j].node].name,
                                          " both acknowledged writes for ",
                                          absl::FormatDuration(e - s)));
      }
    }
  }
  // No writable node: the longest gap between consecutive acknowledgements of any node.
  std::vector<absl::Time> acks;
  for (const auto& a : probe) {
    if (a.acked) acks.push_back(a.done);
  }
  std::sort(acks.begin(), acks.end());
  // Every gap that ends after the fault began (the one the fault opens included).
  for (size_t i = 1; i < acks.size(); ++i) {
    if (acks[i] >= from) f.none_writable = std::max(f.none_writable, acks[i] - acks[i - 1]);
  }
  if (std::getenv("PGHA_FAULT_DEBUG") != nullptr) {
    for (const auto& a : probe) {
      if (a.sent >= from - absl::Seconds(1) && a.sent <= from + absl::Seconds(8)) {
        std::fprintf(stderr, "probe %s +%.2f %s\n", nodes_[a.node].name.c_str(),
                     absl::ToDoubleSeconds(a.sent - from), a.acked ? "ack" : "-");
      }
    }
  }
  // Every acknowledged row, client's and probe's, must be on the final primary.
  std::set<int64_t> want;
  for (const auto* list : {&client, &probe}) {
    for (const auto& a : *list) {
      if (a.acked) want.insert(a.id);
    }
  }
  f.acked = static_cast<int64_t>(want.size());
  std::set<int64_t> have;
  auto conn = Open(nodes_[final_primary]);
  auto rows = conn ? conn->Query("SELECT id FROM acked") : absl::StatusOr<pg::QueryResult>(absl::UnavailableError("no connection"));
  if (!rows.ok()) {
    f.lost = f.acked;
    f.overlaps.push_back("cannot read the final primary's rows");
    return f;
  }
  for (const auto& r : rows->rows) {
    if (r[0]) have.insert(std::stoll(*r[0]));
  }
  for (int64_t id : want) {
    if (have.count(id) == 0) ++f.lost;
  }
  return f;
}

}  // namespace pgha::testing
