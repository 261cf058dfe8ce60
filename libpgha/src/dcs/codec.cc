#include "pgha/dcs/codec.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "pgha/base/pycompat_time.h"

namespace pgha::dcs {
namespace {

absl::StatusOr<Json> ParseJson(const std::string& value) {
  Json doc = ParseUntrustedJson(value);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not JSON: '", value.size() > 80 ? value.substr(0, 80) + "..." : value, "'"));
  }
  return doc;
}

std::string Compact(const Json& doc) { return doc.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Reads an LSN that Patroni stores as an integer (or, leniently, a numeric string or "X/Y").
std::optional<Lsn> ReadLsn(const Json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<Lsn>(v.get<int64_t>());
  if (v.is_string()) {
    uint64_t n = 0;
    if (absl::SimpleAtoi(v.get<std::string>(), &n)) return n;
    auto parsed = ParseLsn(v.get<std::string>());
    if (parsed.ok()) return *parsed;
  }
  return std::nullopt;
}

std::string ReadText(const Json& doc, const char* key) {
  if (!doc.contains(key)) return "";
  const Json& v = doc[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  return "";
}

std::string RelativeKey(const std::string& prefix, const std::string& key) {
  if (!absl::StartsWith(key, prefix)) return "";
  return key.substr(prefix.size());
}

}  // namespace

std::string FormatTimestamp(absl::Time t) { return py::IsoFormat(t, absl::UTCTimeZone()); }

absl::StatusOr<absl::Time> ParseTimestamp(const std::string& text) {
  // Patroni reads these with dateutil.parser.parse and compares them with aware datetimes.
  auto parsed = py::ParseDateutil(text, absl::CivilDay(1970, 1, 1));
  if (!parsed.ok() || !parsed->utc_offset) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not an ISO 8601 timestamp with a time zone"));
  }
  return py::ToTime(*parsed, absl::UTCTimeZone());
}

absl::StatusOr<Member> DecodeMember(const std::string& name, const std::string& value) {
  Member m;
  m.name = name;
  if (absl::StartsWith(value, "postgres")) {
    // Patroni < 1.0 wrote "postgres://...?application_name=<api_url>".
    m.conn_url = value.substr(0, value.find('?'));
    auto app = value.find("application_name=");
    if (app != std::string::npos) m.api_url = value.substr(app + 17);
    m.state = "running";
    return m;
  }
  auto parsed = ParseJson(value);
  if (!parsed.ok()) return parsed.status();
  const Json& doc = *parsed;
  if (!doc.is_object()) return absl::InvalidArgumentError("member value is not a JSON object");
  m.raw = doc;
  m.conn_url = ReadText(doc, "conn_url");
  m.api_url = ReadText(doc, "api_url");
  m.state = ReadText(doc, "state");
  m.role = ReadText(doc, "role");
  if (m.role == "master") m.role = "primary";  // Patroni < 4 wrote "master"
  m.version_text = ReadText(doc, "version");
  if (doc.contains("xlog_location")) m.xlog_location = ReadLsn(doc["xlog_location"]);
  if (doc.contains("timeline") && doc["timeline"].is_number_integer()) {
    m.timeline = doc["timeline"].get<int>();
  }
  if (doc.contains("receive_lsn")) m.receive_lsn = ReadLsn(doc["receive_lsn"]);
  if (doc.contains("replay_lsn")) m.replay_lsn = ReadLsn(doc["replay_lsn"]);
  m.replication_state = ReadText(doc, "replication_state");
  if (doc.contains("tags") && doc["tags"].is_object()) m.tags = doc["tags"];
  m.proxy_url = ReadText(doc, "proxy_url");
  m.pending_restart = JsonIsTrue(doc, "pending_restart");
  if (doc.contains("scheduled_restart")) m.scheduled_restart = doc["scheduled_restart"];
  m.pause = doc.contains("pause") && doc["pause"] == true;
  if (doc.contains("checkpoint_after_promote") && doc["checkpoint_after_promote"].is_boolean()) {
    m.checkpoint_after_promote = doc["checkpoint_after_promote"].get<bool>();
  }
  if (m.conn_url.empty() && m.api_url.empty()) {
    return absl::InvalidArgumentError("member has neither conn_url nor api_url");
  }
  return m;
}

absl::StatusOr<FailoverRequest> DecodeFailover(const std::string& value) {
  FailoverRequest f;
  if (absl::StripAsciiWhitespace(value).empty()) return f;
  auto parsed = ParseJson(value);
  if (!parsed.ok()) {
    // Legacy "leader:candidate".
    std::vector<std::string> parts = absl::StrSplit(value, absl::MaxSplits(':', 1));
    if (parts.size() == 2 && value.find('{') == std::string::npos) {
      f.leader = parts[0];
      f.candidate = parts[1];
      return f;
    }
    return parsed.status();
  }
  const Json& doc = *parsed;
  if (!doc.is_object()) return absl::InvalidArgumentError("failover value is not a JSON object");
  f.leader = ReadText(doc, "leader");
  f.candidate = ReadText(doc, "member");
  f.scheduled_at_text = ReadText(doc, "scheduled_at");
  if (!f.scheduled_at_text.empty()) {
    auto t = ParseTimestamp(f.scheduled_at_text);
    if (!t.ok()) return t.status();
    f.scheduled_at = *t;
  }
  return f;
}

absl::StatusOr<SyncState> DecodeSync(const std::string& value) {
  auto parsed = ParseJson(value);
  if (!parsed.ok()) return parsed.status();
  const Json& doc = *parsed;
  if (!doc.is_object()) return absl::InvalidArgumentError("sync value is not a JSON object");
  SyncState s;
  s.leader = ReadText(doc, "leader");
  if (doc.contains("sync_standby") && doc["sync_standby"].is_string()) {
    for (absl::string_view name :
         absl::StrSplit(doc["sync_standby"].get<std::string>(), ',')) {
      // " " between two commas names nobody, like "": skipped after stripping.
      absl::string_view stripped = absl::StripAsciiWhitespace(name);
      if (!stripped.empty()) s.sync_standby.emplace_back(stripped);
    }
  }
  if (doc.contains("quorum") && !doc["quorum"].is_null()) {
    // The leader race trusts this number: one that is not a count is refused, not read as 0
    // (which would let a node win without the votes the commits need). Patroni reads int(x).
    const Json& q = doc["quorum"];
    int64_t n = -1;
    if (q.is_number_integer()) {
      n = q.get<int64_t>();
    } else if (q.is_string() && !absl::SimpleAtoi(q.get<std::string>(), &n)) {
      n = -1;
    }
    if (n < 0 || n > 1000) return absl::InvalidArgumentError("sync value has a quorum that is not a count");
    s.quorum = static_cast<int>(n);
  }
  return s;
}

absl::StatusOr<TimelineHistory> DecodeHistory(const std::string& value) {
  auto parsed = ParseJson(value);
  if (!parsed.ok()) return parsed.status();
  const Json& doc = *parsed;
  if (!doc.is_array()) return absl::InvalidArgumentError("history value is not a JSON list");
  TimelineHistory h;
  for (const auto& line : doc) {
    if (!line.is_array() || line.size() < 2 || !line[0].is_number_integer()) {
      return absl::InvalidArgumentError(absl::StrCat("bad history line ", line.dump()));
    }
    HistoryEntry e;
    e.timeline = line[0].get<int>();
    auto lsn = ReadLsn(line[1]);
    if (!lsn) return absl::InvalidArgumentError(absl::StrCat("bad LSN in history line ", line.dump()));
    e.lsn = *lsn;
    if (line.size() > 2 && line[2].is_string()) e.reason = line[2].get<std::string>();
    if (line.size() > 3 && line[3].is_string()) e.timestamp = line[3].get<std::string>();
    if (line.size() > 4 && line[4].is_string()) e.new_leader = line[4].get<std::string>();
    h.entries.push_back(std::move(e));
  }
  return h;
}

absl::StatusOr<ClusterStatus> DecodeStatus(const std::string& value) {
  ClusterStatus s;
  uint64_t legacy = 0;
  if (absl::SimpleAtoi(value, &legacy)) {  // Patroni < 2.1: a bare integer
    s.optime = legacy;
    return s;
  }
  auto parsed = ParseJson(value);
  if (!parsed.ok()) return parsed.status();
  const Json& doc = *parsed;
  if (!doc.is_object()) return absl::InvalidArgumentError("status value is not a JSON object");
  if (doc.contains("optime")) s.optime = ReadLsn(doc["optime"]);
  if (doc.contains("slots") && doc["slots"].is_object()) {
    for (auto it = doc["slots"].begin(); it != doc["slots"].end(); ++it) {
      if (auto lsn = ReadLsn(it.value())) s.slots[it.key()] = *lsn;
    }
  }
  if (doc.contains("retain_slots") && doc["retain_slots"].is_array()) {
    for (const auto& n : doc["retain_slots"]) {
      if (n.is_string()) s.retain_slots.push_back(n.get<std::string>());
    }
  }
  return s;
}

absl::StatusOr<std::map<std::string, std::string>> DecodeFailsafe(const std::string& value) {
  auto parsed = ParseJson(value);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->is_object()) return absl::InvalidArgumentError("failsafe value is not a JSON object");
  std::map<std::string, std::string> out;
  for (auto it = parsed->begin(); it != parsed->end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

ClusterState DecodeCluster(const KeyLayout& layout, const RawSnapshot& snapshot) {
  ClusterState c;
  c.scope = layout.scope();
  c.revision = snapshot.revision;
  auto error = [&c](const std::string& key, const absl::Status& s) {
    c.decode_errors.push_back(absl::StrCat(key, ": ", s.message(), " (ignored)"));
  };
  for (const RawEntry& e : snapshot.entries) {
    std::string rel = RelativeKey(layout.prefix(), e.key);
    if (rel.empty()) continue;
    if (rel == "initialize") {
      c.initialize = std::string(absl::StripAsciiWhitespace(e.value));
      c.initialize_version = e.version;
    } else if (rel == "config") {
      auto parsed = ParseJson(e.value);
      if (parsed.ok() && parsed->is_object()) {
        c.config = ClusterConfig{*parsed, e.version};
      } else {
        error(e.key, parsed.ok() ? absl::InvalidArgumentError("config is not a JSON object")
                                 : parsed.status());
        // Keep the version so that a writer can still replace the garbage with CAS.
        c.config = ClusterConfig{Json::object(), e.version};
      }
    } else if (rel == "leader") {
      std::string name(absl::StripAsciiWhitespace(e.value));
      if (name.empty()) {
        error(e.key, absl::InvalidArgumentError("empty leader name"));
      }
      // An empty value is still a held lock: nobody else may take it until it expires.
      c.leader = Leader{name, e.version, e.session};
    } else if (absl::StartsWith(rel, "members/")) {
      std::string name = rel.substr(8);
      if (name.empty() || name.find('/') != std::string::npos) continue;
      auto m = DecodeMember(name, e.value);
      if (!m.ok()) {
        error(e.key, m.status());
        continue;
      }
      m->version = e.version;
      m->session = e.session;
      c.members.push_back(std::move(*m));
    } else if (rel == "failover") {
      auto f = DecodeFailover(e.value);
      if (!f.ok()) {
        error(e.key, f.status());
        c.failover = FailoverRequest{};  // present but unusable: clearable by CAS
        c.failover->version = e.version;
        continue;
      }
      f->version = e.version;
      c.failover = std::move(*f);
    } else if (rel == "sync") {
      auto s = DecodeSync(e.value);
      if (!s.ok()) {
        error(e.key, s.status());
        // Present but unusable: read as no synchronous state (Patroni reads it as empty), and
        // the primary can overwrite it by compare-and-set on this version.
        c.sync = SyncState{};
        c.sync->version = e.version;
        continue;
      }
      s->version = e.version;
      c.sync = std::move(*s);
    } else if (rel == "history") {
      auto h = DecodeHistory(e.value);
      if (!h.ok()) {
        error(e.key, h.status());
        continue;
      }
      h->version = e.version;
      c.history = std::move(*h);
    } else if (rel == "status") {
      auto s = DecodeStatus(e.value);
      if (!s.ok()) {
        error(e.key, s.status());
        c.status.version = e.version;
        continue;
      }
      s->version = e.version;
      c.status = std::move(*s);
    } else if (rel == "optime/leader") {
      uint64_t lsn = 0;
      if (!c.status.optime && absl::SimpleAtoi(e.value, &lsn)) c.status.optime = lsn;
    } else if (rel == "failsafe") {
      c.failsafe_version = e.version;  // kept for garbage too: the leader overwrites it by CAS
      auto f = DecodeFailsafe(e.value);
      if (!f.ok()) {
        error(e.key, f.status());
        continue;
      }
      c.failsafe = std::move(*f);
    }
  }
  std::sort(c.members.begin(), c.members.end(),
            [](const Member& a, const Member& b) { return a.name < b.name; });
  return c;
}

std::string EncodeMember(const Member& m) {
  Json doc = Json::object();
  doc["conn_url"] = m.conn_url;
  doc["api_url"] = m.api_url;
  doc["state"] = m.state;
  doc["role"] = m.role;
  doc["version"] = m.version_text;
  if (!m.proxy_url.empty()) doc["proxy_url"] = m.proxy_url;
  if (m.xlog_location) doc["xlog_location"] = *m.xlog_location;
  if (m.timeline) doc["timeline"] = *m.timeline;
  if (!m.replication_state.empty()) doc["replication_state"] = m.replication_state;
  if (m.receive_lsn) doc["receive_lsn"] = *m.receive_lsn;
  if (m.replay_lsn) doc["replay_lsn"] = *m.replay_lsn;
  if (m.tags.is_object() && !m.tags.empty()) doc["tags"] = m.tags;
  if (m.pause) doc["pause"] = true;
  if (m.pending_restart) doc["pending_restart"] = true;
  if (!m.scheduled_restart.is_null()) doc["scheduled_restart"] = m.scheduled_restart;
  if (m.checkpoint_after_promote) doc["checkpoint_after_promote"] = *m.checkpoint_after_promote;
  return Compact(doc);
}

std::string EncodeFailover(const FailoverRequest& f) {
  Json doc = Json::object();
  if (!f.leader.empty()) doc["leader"] = f.leader;
  if (!f.candidate.empty()) doc["member"] = f.candidate;
  if (!f.scheduled_at_text.empty()) {
    doc["scheduled_at"] = f.scheduled_at_text;
  } else if (f.scheduled_at) {
    doc["scheduled_at"] = FormatTimestamp(*f.scheduled_at);
  }
  return Compact(doc);
}

std::string EncodeSync(const SyncState& s) {
  Json doc = Json::object();
  doc["leader"] = s.leader;
  if (s.quorum) doc["quorum"] = *s.quorum;  // quorum commit: Patroni 4's key order
  // Sorted, as Patroni writes it (','.join(sorted(sync_standby))).
  std::vector<std::string> names = s.sync_standby;
  std::sort(names.begin(), names.end());
  doc["sync_standby"] = names.empty() ? Json(nullptr) : Json(absl::StrJoin(names, ","));
  return Compact(doc);
}

std::string EncodeHistory(const std::vector<HistoryEntry>& entries) {
  Json doc = Json::array();
  for (const auto& e : entries) {
    Json line = Json::array({e.timeline, e.lsn, e.reason});
    if (!e.timestamp.empty() || !e.new_leader.empty()) line.push_back(e.timestamp);
    if (!e.new_leader.empty()) line.push_back(e.new_leader);
    doc.push_back(std::move(line));
  }
  return Compact(doc);
}

std::string EncodeStatus(const ClusterStatus& s) {
  Json doc = Json::object();
  doc["optime"] = s.optime.value_or(0);
  if (!s.slots.empty()) {
    Json slots = Json::object();
    for (const auto& [name, lsn] : s.slots) slots[name] = lsn;
    doc["slots"] = slots;
  }
  if (!s.retain_slots.empty()) doc["retain_slots"] = s.retain_slots;
  return Compact(doc);
}

std::string EncodeFailsafe(const std::map<std::string, std::string>& members) {
  Json doc = Json::object();
  for (const auto& [name, url] : members) doc[name] = url;
  return Compact(doc);
}

std::string EncodeConfig(const Json& config) { return Compact(config); }

}  // namespace pgha::dcs
