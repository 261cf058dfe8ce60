#include "actions.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "pgha/base/pycompat.h"
#include "pgha/base/pycompat_time.h"
#include "pgha/base/log.h"
#include "pgha/dcs/codec.h"

namespace pgha::api::internal {
namespace {

Reply TextReply(int code, std::string body) { return Reply{code, std::move(body), "text/html"}; }

Reply JsonReply(int code, const ::pgha::Json& body) {
  return Reply{code, py::JsonDumps(body), "application/json"};
}

Reply ErrorReply(int code, const std::string& reason) { return JsonReply(code, {{"error", reason}}); }

// The request body as a JSON object. An empty body is {} when `allow_empty`.
std::optional<::pgha::Json> Body(const httplib::Request& req, bool allow_empty, Reply* error) {
  if (req.body.empty() || absl::StripAsciiWhitespace(req.body).empty()) {
    if (allow_empty) return ::pgha::Json::object();
    *error = ErrorReply(400, "the request needs a JSON object body");
    return std::nullopt;
  }
  ::pgha::Json doc = ::pgha::ParseUntrustedJson(req.body);
  if (doc.is_discarded()) {
    *error = ErrorReply(400, "the body is not valid JSON");
    return std::nullopt;
  }
  if (!doc.is_object()) {
    *error = ErrorReply(400, "the body must be a JSON object");
    return std::nullopt;
  }
  return doc;
}

std::string Field(const ::pgha::Json& doc, const char* key) {
  if (!doc.contains(key)) return "";
  const auto& v = doc[key];
  return v.is_string() ? v.get<std::string>() : (v.is_null() ? "" : v.dump());
}

ha::CommandResult Submit(const ActionContext& ctx, ha::Command command, absl::Duration wait) {
  int ticket = ctx.o->board->Submit(std::move(command));
  return ctx.o->board->Await(ticket, wait);
}

// Hand-written matchers for request fields: no std::regex on what a client sent (it recurses
// once per character; 5,000 digits overflowed a connection thread's stack).

// first.major.minor: one to three groups of 1-9 digits.
bool IsPostgresVersion(const std::string& v) {
  if (v.empty() || v.size() > 32) return false;
  int groups = 1;
  size_t run = 0;
  for (char ch : v) {
    if (ch == '.') {
      if (run == 0 || ++groups > 3) return false;
      run = 0;
    } else if (absl::ascii_isdigit(static_cast<unsigned char>(ch)) && ++run <= 9) {
      continue;
    } else {
      return false;
    }
  }
  return run > 0;
}

// Patroni's parse_int(value, 's') for a timeout: "30", "30s", " 5 min ", "500ms", "2h", "1d".
std::optional<int64_t> ParseTimeoutSeconds(const std::string& text) {
  if (text.size() > 64) return std::nullopt;
  size_t i = 0;
  auto skip_blanks = [&] {
    while (i < text.size() && absl::ascii_isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  skip_blanks();
  int64_t n = 0;
  size_t digits = 0;
  while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
    if (++digits > 9) return std::nullopt;  // over 30 years in seconds: not a timeout
    n = n * 10 + (text[i++] - '0');
  }
  if (digits == 0) return std::nullopt;
  skip_blanks();
  size_t unit_start = i;
  while (i < text.size() && absl::ascii_isalpha(static_cast<unsigned char>(text[i]))) ++i;
  std::string unit = text.substr(unit_start, i - unit_start);
  skip_blanks();
  if (i != text.size()) return std::nullopt;
  if (unit.empty() || unit == "s") return n;
  if (unit == "ms") return n / 1000;
  if (unit == "min") return n * 60;
  if (unit == "h") return n * 3600;
  if (unit == "d") return n * 86400;
  return std::nullopt;
}

// Patroni's parse_schedule: the time must carry a zone and lie in the future. `iso`, when
// given, receives scheduled_at.isoformat() (the zone the request gave), what Patroni stores.
std::optional<Reply> ParseSchedule(const ActionContext& ctx, const std::string& text, const std::string& action,
                                   absl::Time* out, std::string* iso = nullptr) {
  if (text.size() > 64) {
    return TextReply(422, "Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601");
  }
  // dateutil.parser.parse(text): a missing date is today's, on this server's calendar.
  auto parsed = py::ParseDateutil(text, absl::ToCivilDay(ctx.clock->Now(), absl::LocalTimeZone()));
  if (!parsed.ok()) {
    return TextReply(422, "Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601");
  }
  if (!parsed->utc_offset) {
    return TextReply(400, absl::StrCat("Timezone information is mandatory for the scheduled ", action));
  }
  absl::Time t = py::ToTime(*parsed, absl::UTCTimeZone());
  if (t < ctx.clock->Now()) return TextReply(422, absl::StrCat("Cannot schedule ", action, " in the past"));
  *out = t;
  if (iso != nullptr) *iso = py::IsoFormat(*parsed);
  return std::nullopt;
}

std::string Title(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(absl::ascii_toupper(static_cast<unsigned char>(s[0])));
  return s;
}

// Patroni's is_failover_possible, on the published cluster snapshot and live peer answers.
std::string FailoverImpossibleReason(const ActionContext& ctx, const dcs::ClusterState& cluster,
                                     const std::string& leader, const std::string& candidate,
                                     const std::string& action) {
  if (!leader.empty() && (!cluster.leader || cluster.leader->name != leader)) return "leader name does not match";
  std::vector<dcs::Member> members;
  // Quorum commit does not tie a switchover to listed standbys (Patroni 4): the leader hands over
  // only once the candidate confirmed its shutdown checkpoint.
  bool sync_mode = cluster.IsSynchronousMode() && cluster.sync && !cluster.IsQuorumCommitMode();
  if (!candidate.empty()) {
    if (action == "switchover" && sync_mode && !cluster.sync->Contains(candidate)) {
      return "candidate name does not match with sync_standby";
    }
    if (const dcs::Member* m = cluster.FindMember(candidate)) members.push_back(*m);
    if (members.empty()) return "candidate does not exists";
  } else if (sync_mode) {
    for (const auto& m : cluster.members) {
      if (cluster.sync->Contains(m.name)) members.push_back(m);
    }
    if (members.empty()) return action + " is not possible: can not find sync_standby";
  } else {
    for (const auto& m : cluster.members) {
      if (!cluster.IsLeader(m.name) && !m.api_url.empty()) members.push_back(m);
    }
    if (members.empty()) return action + " is not possible: cluster does not have members except leader";
  }
  for (const auto& st : ctx.o->prober->Probe(members, absl::Seconds(2))) {
    if (st.reachable && !st.nofailover && st.failover_priority > 0 && !st.watchdog_failed) return "";
  }
  return action + " is not possible: no good candidates have been found";
}

// A status whose cycle read the DCS after `asked_at`: what Patroni's dcs.get_cluster() gives
// its switchover checks. The published snapshot may be a cycle old, and a cycle ago the leader
// may not yet have listed a standby it had just made synchronous (the migration test got
// "candidate name does not match with sync_standby" for a node every tool showed as Sync
// Standby). Wakes the loop and waits for its next read, at most two loop_waits (while the loop
// runs a long task, the last status); nullptr when that read failed (the DCS does not answer).
// Without a loop (tests that publish by hand) the current status.
std::shared_ptr<const ha::NodeStatus> FreshStatus(const ActionContext& ctx, absl::Time asked_at) {
  ha::StatusBoard& board = *ctx.o->board;
  auto status = board.Current();
  if (status->cluster_read_at == absl::InfinitePast()) return status;
  board.Wake();
  absl::Time deadline = asked_at + std::max(absl::Seconds(2), 2 * ctx.o->loop_wait());
  while (status->cluster_read_at < asked_at && !board.Closed() && ctx.clock->Monotonic() < deadline) {
    ctx.clock->SleepFor(absl::Milliseconds(10));
    status = board.Current();
  }
  if (status->cluster_read_at >= asked_at && !status->dcs_ok) return nullptr;
  return status;
}

Reply SwitchoverOrFailover(const ActionContext& ctx, const httplib::Request& req, const std::string& action) {
  Reply error;
  auto body = Body(req, false, &error);
  if (!body) return error;
  std::string leader = Field(*body, "leader");
  std::string candidate = Field(*body, "candidate");
  if (candidate.empty()) candidate = Field(*body, "member");
  std::string scheduled = Field(*body, "scheduled_at");
  PGHA_LOG(INFO) << "received " << action << " request with leader=" << leader << " candidate=" << candidate
                 << " scheduled_at=" << scheduled;
  if (action == "failover" && candidate.empty()) {
    return TextReply(400, "Failover could be performed only to a specific candidate");
  }
  if (action == "switchover" && leader.empty()) {
    return TextReply(400, "Switchover could be performed only from a specific leader");
  }
  auto status = FreshStatus(ctx, ctx.clock->Monotonic());
  if (!status || !status->cluster) return TextReply(503, "DCS is not accessible");
  const dcs::ClusterState& cluster = *status->cluster;
  absl::Time at;
  if (!scheduled.empty()) {
    if (leader.empty()) return TextReply(400, absl::StrCat("Scheduled ", action, " is possible only from a specific leader"));
    if (cluster.IsPaused()) return TextReply(400, absl::StrCat("Can't schedule ", action, " in the paused state"));
    if (auto bad = ParseSchedule(ctx, scheduled, action, &at, &scheduled)) return *bad;
  }
  if (cluster.IsPaused() && candidate.empty()) {
    return TextReply(400, absl::StrCat(Title(action), " is possible only to a specific candidate in a paused state"));
  }
  if (scheduled.empty()) {
    std::string why = FailoverImpossibleReason(ctx, cluster, leader, candidate, action);
    if (!why.empty()) return TextReply(412, why);
  }
  ha::Command command;
  command.kind = ha::Command::Kind::kSwitchover;
  command.payload = {{"leader", leader}, {"candidate", candidate}, {"scheduled_at", scheduled}};
  ha::CommandResult written = Submit(ctx, command, absl::Seconds(30));
  if (!written.done || !written.ok) return TextReply(503, absl::StrCat("failed to write ", action, " key into DCS"));
  if (!scheduled.empty()) return TextReply(202, absl::StrCat(Title(action), " scheduled"));
  // Wait for the outcome as Patroni does, reading what the loop publishes.
  std::string old_leader = cluster.leader ? cluster.leader->name : "";
  std::string verb = action.substr(0, action.size() - 4);  // switch / fail
  absl::Time deadline = ctx.clock->Monotonic() + 2 * std::max(absl::Seconds(10), ctx.o->loop_wait());
  bool seen_request = false;
  while (ctx.clock->Monotonic() < deadline) {
    ctx.clock->SleepFor(absl::Milliseconds(100));
    auto now = ctx.o->board->Current();
    if (!now->cluster) continue;
    const dcs::ClusterState& c = *now->cluster;
    if (c.leader && c.leader->name != old_leader) {
      if (candidate.empty() || candidate == c.leader->name) {
        return TextReply(200, absl::StrCat("Successfully ", verb, "ed over to \"", c.leader->name, "\""));
      }
      return TextReply(200, absl::StrCat(Title(verb), "ed over to \"", c.leader->name, "\" instead of \"", candidate, "\""));
    }
    if (c.PendingFailover() != nullptr) seen_request = true;
    if (seen_request && c.PendingFailover() == nullptr && c.leader && c.leader->name == old_leader) {
      return TextReply(503, absl::StrCat(Title(action), " failed"));
    }
  }
  return TextReply(503, absl::StrCat(Title(action), " status unknown"));
}

}  // namespace

void Text(httplib::Response& res, int code, const std::string& body) {
  res.status = code;
  res.set_content(body, "text/html");
}

void Json(httplib::Response& res, int code, const ::pgha::Json& body, bool status_only) {
  res.status = code;
  if (!status_only) res.set_content(py::JsonDumps(body), "application/json");
}

void JsonError(httplib::Response& res, int code, const std::string& reason) {
  Json(res, code, {{"error", reason}}, false);
}

void Send(httplib::Response& res, const Reply& reply) {
  res.status = reply.code;
  res.set_content(reply.body, reply.content_type.c_str());
}

Reply PostSwitchover(const ActionContext& ctx, const httplib::Request& req) {
  return SwitchoverOrFailover(ctx, req, "switchover");
}

Reply PostFailover(const ActionContext& ctx, const httplib::Request& req) {
  return SwitchoverOrFailover(ctx, req, "failover");
}

Reply DeleteSwitchover(const ActionContext& ctx, const httplib::Request&) {
  ha::Command command;
  command.kind = ha::Command::Kind::kCancelSwitchover;
  ha::CommandResult r = Submit(ctx, command, absl::Seconds(30));
  if (!r.done) return TextReply(503, "DCS is not accessible");
  return TextReply(r.http_status, r.message);
}

Reply PostRestart(const ActionContext& ctx, const httplib::Request& req) {
  Reply error;
  auto body = Body(req, true, &error);
  if (!body) return error;
  auto status = ctx.o->board->Current();
  ha::Command command;
  command.kind = ha::Command::Kind::kRestart;
  absl::Time schedule;
  bool scheduled = false;
  for (auto it = body->begin(); it != body->end(); ++it) {
    const std::string& k = it.key();
    if (k == "schedule") {
      if (!it.value().is_string()) return TextReply(400, "schedule must be a timestamp string");
      if (auto bad = ParseSchedule(ctx, it.value().get<std::string>(), "restart", &schedule)) return *bad;
      scheduled = true;
    } else if (k == "role") {
      std::string role = Field(*body, "role");
      if (role != "master" && role != "primary" && role != "replica") {
        return TextReply(400, "PostgreSQL role should be either primary or replica");
      }
      command.role_filter = role == "master" ? "primary" : role;
    } else if (k == "postgres_version") {
      std::string v = Field(*body, "postgres_version");
      if (!IsPostgresVersion(v)) {
        return TextReply(400, "PostgreSQL version should be in the first.major.minor format");
      }
      command.postgres_version = v;
    } else if (k == "restart_pending") {
      command.only_if_pending = it.value() == true;
    } else if (k == "timeout") {
      // Patroni's parse_int(value, 's'): 30, "30", "30s", "5min".
      std::optional<int64_t> seconds;
      if (it.value().is_number()) {
        double d = it.value().get<double>();
        // A double past int64's range converts with undefined behaviour: refuse it first.
        if (std::isfinite(d) && d > 0 && d < 1e9) seconds = static_cast<int64_t>(d);
      } else if (it.value().is_string()) {
        seconds = ParseTimeoutSeconds(it.value().get<std::string>());
      }
      if (!seconds || *seconds <= 0) return TextReply(400, "Timeout should be a positive number of seconds");
      command.timeout = absl::Seconds(*seconds);
    } else {
      return TextReply(400, absl::StrCat("Unknown filter for the scheduled restart: ", k));
    }
  }
  command.payload = *body;
  if (scheduled) {
    if (status->paused) return TextReply(400, "Can't schedule restart in the paused state");
    command.kind = ha::Command::Kind::kScheduleRestart;
    command.schedule = schedule;
    ha::CommandResult r = Submit(ctx, command, absl::Seconds(30));
    if (!r.done) return TextReply(503, "restart could not be scheduled");
    return TextReply(r.http_status, r.message);
  }
  // Conditions are checked against what the node is now, as in Patroni.
  const pg::Observation& o = status->pg;
  std::string role = o.accepting ? (o.in_recovery ? (status->holds_lock ? "standby_leader" : "replica") : "primary") : "";
  bool ok = (command.role_filter.empty() || command.role_filter == role) &&
            (!command.only_if_pending || o.pending_restart);
  if (ok && !command.postgres_version.empty() && o.server_version != 0) {
    int major = 0, minor = 0;
    std::sscanf(command.postgres_version.c_str(), "%d.%d", &major, &minor);
    int wanted = major >= 10 ? major * 10000 + minor : major * 10000 + minor * 100;
    ok = o.server_version < wanted;
  }
  if (!ok) return TextReply(503, "restart conditions are not satisfied");
  ha::CommandResult r = Submit(ctx, command, absl::Minutes(30));
  if (!r.done) return TextReply(503, "restart status unknown");
  return TextReply(r.ok ? 200 : 503, r.ok ? "restarted successfully" : absl::StrCat("restart failed: ", r.message));
}

Reply DeleteRestart(const ActionContext& ctx, const httplib::Request&) {
  ha::Command command;
  command.kind = ha::Command::Kind::kCancelRestart;
  ha::CommandResult r = Submit(ctx, command, absl::Seconds(30));
  if (!r.done) return TextReply(503, "DCS is not accessible");
  return TextReply(r.http_status, r.message);
}

Reply PostReload(const ActionContext& ctx, const httplib::Request&) {
  ha::Command command;
  command.kind = ha::Command::Kind::kReload;
  ctx.o->board->Submit(command);
  return TextReply(202, "reload scheduled");
}

Reply PostReinitialize(const ActionContext& ctx, const httplib::Request& req) {
  Reply error;
  auto body = Body(req, true, &error);
  if (!body) return error;
  ha::Command command;
  command.kind = ha::Command::Kind::kReinitialize;
  command.force = body->value("force", false) == true;
  command.payload = *body;
  ha::CommandResult r = Submit(ctx, command, absl::Seconds(60));
  if (!r.done) return TextReply(503, "reinitialize status unknown");
  return TextReply(r.http_status, r.message);
}

Reply PatchConfig(const ActionContext& ctx, const httplib::Request& req) {
  Reply error;
  auto body = Body(req, false, &error);
  if (!body) return error;
  ha::Command command;
  command.kind = ha::Command::Kind::kPatchConfig;
  command.payload = *body;
  ha::CommandResult r = Submit(ctx, command, absl::Seconds(30));
  if (!r.done) return TextReply(503, "DCS is not accessible");
  if (!r.body.is_null()) return JsonReply(r.http_status, r.body);
  return TextReply(r.http_status, r.message);
}

Reply PutConfig(const ActionContext& ctx, const httplib::Request& req) {
  Reply error;
  auto body = Body(req, false, &error);
  if (!body) return error;
  ha::Command command;
  command.kind = ha::Command::Kind::kPutConfig;
  command.payload = *body;
  ha::CommandResult r = Submit(ctx, command, absl::Seconds(30));
  if (!r.done) return TextReply(503, "DCS is not accessible");
  if (!r.body.is_null()) return JsonReply(r.http_status, r.body);
  return TextReply(r.http_status, r.message);
}

Reply NotSupported(const ActionContext&, const httplib::Request&) {
  return ErrorReply(501, "Citus clusters are not supported by pgha");
}

Reply PostFailsafe(const ActionContext& ctx, const httplib::Request& req) {
  auto status = ctx.o->board->Current();
  if (!status->failsafe_mode) return ErrorReply(502, "failsafe mode is not enabled");
  Reply error;
  auto body = Body(req, false, &error);
  if (!body) return error;
  if (!body->contains("name") || !(*body)["name"].is_string()) {
    return ErrorReply(400, "the body must name the primary (\"name\")");
  }
  // A running primary does not follow anyone: the caller must not count on us.
  if (status->pg.accepting && !status->pg.in_recovery) return TextReply(500, "Running as a leader");
  // Proof that the primary lives: for ttl we do not race for the lock.
  ctx.o->board->NoteFailsafeHeartbeat(ctx.clock->Monotonic());
  return TextReply(200, "Accepted");
}

}  // namespace pgha::api::internal
