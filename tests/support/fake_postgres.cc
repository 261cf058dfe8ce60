#include "fake_postgres.h"

#include <algorithm>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace pgha::testing {
namespace {

constexpr Lsn kInitialLsn = 0x3000028;  // where initdb leaves the WAL
constexpr Lsn kCheckpointRecord = 0x68;  // a shutdown checkpoint record
constexpr Lsn kEndOfRecovery = 0x28;     // the first record of a new timeline

}  // namespace

// ---- FakePgWorld: history --------------------------------------------------------------------

FakePgWorld::FakePgWorld(Clock* clock, uint64_t seed, Options options)
    : clock_(clock), options_(options), rng_(seed) {}

FakePgWorld::~FakePgWorld() = default;

FakePostgres* FakePgWorld::AddNode(const std::string& name) {
  auto& slot = nodes_[name];
  slot = std::make_unique<FakePostgres>(this, name);
  return slot.get();
}

FakePostgres* FakePgWorld::Node(const std::string& name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : it->second.get();
}

std::vector<FakePostgres*> FakePgWorld::Nodes() const {
  std::vector<FakePostgres*> out;
  for (const auto& [name, node] : nodes_) out.push_back(node.get());
  return out;
}

int FakePgWorld::NewBranch(int parent, int timeline, Lsn start, const std::string& writer) {
  int id = static_cast<int>(branches_.size()) + 1;
  branches_[id] = WalBranch{id, timeline, parent, start, writer, start};
  return id;
}

bool FakePgWorld::OnHistory(WalPoint tip, WalPoint p) const {
  Lsn end = tip.lsn;
  for (int b = tip.branch; b != 0;) {
    const WalBranch& branch = branches_.at(b);
    if (b == p.branch) return p.lsn <= end;
    end = branch.start;
    b = branch.parent;
  }
  return false;
}

bool FakePgWorld::Compatible(WalPoint tip, WalPoint p) const {
  return OnHistory({tip.branch, std::numeric_limits<Lsn>::max()}, p);
}

int FakePgWorld::BranchAt(WalPoint tip, Lsn lsn) const {
  int b = tip.branch;
  while (b != 0) {
    const WalBranch& branch = branches_.at(b);
    if (lsn > branch.start || branch.parent == 0) return b;
    b = branch.parent;
  }
  return tip.branch;
}

std::string FakePgWorld::Describe(WalPoint p) const {
  if (p.branch == 0) return "no data";
  return absl::StrCat("tl", branches_.at(p.branch).timeline, "#", p.branch, "@", absl::Hex(p.lsn));
}

uint64_t FakePgWorld::NewSystemId() { return 7'000'000'000'000'000'000ULL + rng_() % 1'000'000'000'000'000ULL; }

void FakePgWorld::SetIsolated(const std::string& name, bool isolated) {
  if (isolated) {
    isolated_.insert(name);
  } else {
    isolated_.erase(name);
  }
}

bool FakePgWorld::CanTalk(const std::string& a, const std::string& b) const {
  return a == b || (isolated_.count(a) == 0 && isolated_.count(b) == 0);
}

void FakePgWorld::SetReceiveProbability(const std::string& name, double p) { Node(name)->receive_probability_ = p; }
void FakePgWorld::SetReceivePaused(const std::string& name, bool paused) { Node(name)->receive_paused_ = paused; }

// ---- FakePgWorld: replication ----------------------------------------------------------------

bool FakePgWorld::Streaming(const FakePostgres& s) const {
  if (!s.running_ || !s.standby_ || s.upstream_.empty()) return false;
  const FakePostgres* u = Node(s.upstream_);
  return u != nullptr && u != &s && u->running_ && CanTalk(s.name_, u->name_) &&
         u->system_id_ == s.system_id_ && OnHistory(u->point(), s.point());
}

void FakePgWorld::Receive(FakePostgres& s, bool all) {
  const FakePostgres& u = *Node(s.upstream_);
  Lsn target = all ? u.lsn_ : s.lsn_ + (u.lsn_ - s.lsn_ + 1) / 2;
  s.lsn_ = std::max(s.lsn_, target);
  s.branch_ = BranchAt(u.point(), s.lsn_);
}

FakePgWorld::SyncSpec FakePgWorld::ParseSyncNames(const std::string& value) {
  SyncSpec spec;
  std::string text(absl::StripAsciiWhitespace(value));
  if (text.empty()) return spec;
  spec.num = 1;
  std::string upper = absl::AsciiStrToUpper(text);
  auto open = text.find('(');
  if (open != std::string::npos) {
    std::string prefix = upper.substr(0, open);
    absl::string_view head = absl::StripAsciiWhitespace(prefix);
    if (absl::ConsumePrefix(&head, "ANY")) spec.any = true;
    (void)absl::ConsumePrefix(&head, "FIRST");
    int num = 1;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(head), &num)) spec.num = num;
    auto close = text.rfind(')');
    text = text.substr(open + 1, close == std::string::npos ? std::string::npos : close - open - 1);
  }
  for (absl::string_view raw : absl::StrSplit(text, ',')) {
    std::string name(absl::StripAsciiWhitespace(raw));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = absl::StrReplaceAll(name.substr(1, name.size() - 2), {{"\"\"", "\""}});
    }
    if (!name.empty()) spec.names.push_back(name);
  }
  return spec;
}

std::vector<const FakePostgres*> FakePgWorld::SyncCandidates(const FakePostgres& primary,
                                                             const SyncSpec& spec) const {
  std::vector<const FakePostgres*> out;
  auto add = [&](const FakePostgres* s) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  };
  for (const auto& name : spec.names) {
    for (const auto& [n, s] : nodes_) {
      if (s->upstream_ != primary.name_ || !Streaming(*s)) continue;
      if (name == "*" || absl::EqualsIgnoreCase(name, n)) add(s.get());
    }
  }
  return out;
}

std::vector<pg::ReplicationRow> FakePgWorld::ReplicationRows(const FakePostgres& primary) const {
  SyncSpec spec = ParseSyncNames(primary.sync_names_);
  std::vector<const FakePostgres*> candidates = SyncCandidates(primary, spec);
  std::vector<pg::ReplicationRow> rows;
  for (const auto& [name, s] : nodes_) {
    if (s->upstream_ != primary.name_ || !Streaming(*s)) continue;
    pg::ReplicationRow row;
    row.application_name = name;
    row.usename = "replicator";
    row.client_addr = name;
    row.state = "streaming";
    row.sync_state = "async";
    auto at = std::find(candidates.begin(), candidates.end(), s.get());
    if (at != candidates.end()) {
      size_t rank = static_cast<size_t>(at - candidates.begin());
      row.sync_state = spec.any ? "quorum" : rank < static_cast<size_t>(spec.num) ? "sync" : "potential";
      row.sync_priority = spec.any ? 1 : static_cast<int>(rank) + 1;
    }
    row.write_lsn = row.flush_lsn = row.replay_lsn = s->lsn_;
    rows.push_back(row);
  }
  return rows;
}

void FakePgWorld::SettleAcks() {
  for (const auto& [name, p] : nodes_) {
    if (!p->primary() || p->pending_.empty()) continue;
    SyncSpec spec = ParseSyncNames(p->sync_names_);
    Lsn acked = p->lsn_;
    if (spec.num > 0) {
      std::vector<const FakePostgres*> candidates = SyncCandidates(*p, spec);
      if (candidates.size() < static_cast<size_t>(spec.num)) continue;  // commits wait
      std::vector<Lsn> flushed;
      for (const auto* s : candidates) flushed.push_back(s->lsn_);
      if (spec.any) {
        std::sort(flushed.rbegin(), flushed.rend());
        acked = flushed[spec.num - 1];
      } else {
        acked = *std::min_element(flushed.begin(), flushed.begin() + spec.num);
      }
    }
    auto& pending = p->pending_;
    auto done = std::stable_partition(pending.begin(), pending.end(),
                                      [&](const WalPoint& c) { return c.lsn > acked; });
    acknowledged_.insert(acknowledged_.end(), done, pending.end());
    pending.erase(done, pending.end());
  }
}

void FakePgWorld::Write(const std::string& name, Lsn bytes) {
  FakePostgres* p = Node(name);
  if (p == nullptr || !p->primary()) return;
  p->AppendWal(bytes);
  p->pending_.push_back(p->point());
}

void FakePgWorld::Tick() {
  std::uniform_real_distribution<double> unit(0, 1);
  std::uniform_int_distribution<Lsn> size(options_.min_write, options_.max_write);
  for (const auto& [name, p] : nodes_) {
    if (p->primary() && unit(rng_) < options_.write_probability) Write(name, size(rng_));
  }
  for (const auto& [name, s] : nodes_) {
    if (Streaming(*s) && !s->receive_paused_) Receive(*s, unit(rng_) < s->receive_probability_);
  }
  SettleAcks();
}

// ---- FakePostgres ----------------------------------------------------------------------------

FakePostgres::FakePostgres(FakePgWorld* world, std::string name) : world_(world), name_(std::move(name)) {}

int FakePostgres::timeline() const { return branch_ == 0 ? 0 : world_->Branch(branch_).timeline; }

void FakePostgres::AppendWal(Lsn bytes) {
  lsn_ += bytes;
  WalBranch& b = world_->branches_.at(branch_);
  b.written = std::max(b.written, lsn_);
}

std::vector<pg::Observation::HistoryLine> FakePostgres::HistoryLines() const {
  std::vector<pg::Observation::HistoryLine> lines;
  for (int b = branch_; b != 0;) {
    const WalBranch& branch = world_->Branch(b);
    if (branch.parent != 0 && world_->Branch(branch.parent).timeline != branch.timeline) {
      lines.push_back({world_->Branch(branch.parent).timeline, branch.start, "no recovery target specified"});
    }
    b = branch.parent;
  }
  std::reverse(lines.begin(), lines.end());
  return lines;
}

FakePostgres* FakePostgres::Reach(const std::optional<pg::Upstream>& upstream, absl::Status* why) {
  if (!upstream) {
    *why = absl::FailedPreconditionError("no upstream to connect to");
    return nullptr;
  }
  FakePostgres* u = world_->Node(upstream->name);
  if (u == nullptr || u == this || !u->running_ || !world_->CanTalk(name_, u->name_)) {
    *why = absl::UnavailableError(absl::StrCat("could not connect to ", upstream->name));
    return nullptr;
  }
  return u;
}

void FakePostgres::Crash() {
  running_ = false;
  clean_ = false;
  pending_.clear();
}

absl::Status FakePostgres::ApplyConfig(const config::EffectiveConfig& effective) {
  use_pg_rewind_ = effective.use_pg_rewind;
  return absl::OkStatus();
}

pg::Observation FakePostgres::Observe() {
  pg::Observation o;
  o.data_dir = data_;
  if (data_ != pg::DataDirState::kValid) return o;
  o.system_identifier = system_id_;
  o.timeline = timeline();
  if (!running_) {
    pg::ControlData c;
    c.cluster_state = standby_ ? (clean_ ? "shut down in recovery" : "in archive recovery")
                               : (clean_ ? "shut down" : "in production");
    c.system_identifier = system_id_;
    c.timeline = timeline();
    c.checkpoint_lsn = c.redo_lsn = checkpoint_lsn_;
    if (standby_) {
      c.min_recovery_end_lsn = lsn_;
      c.min_recovery_end_timeline = timeline();
    }
    c.data_checksums = true;
    o.control = c;
    return o;
  }
  o.postmaster_alive = o.accepting = true;
  o.in_recovery = standby_;
  o.server_version = 150004;
  o.postmaster_start_time = started_at_;
  o.synchronous_standby_names = sync_names_;
  if (standby_) {
    o.receive_lsn = o.replay_lsn = lsn_;
    o.replication_state = world_->Streaming(*this) ? "streaming" : "in archive recovery";
    o.upstream_host = upstream_;
    o.upstream_port = upstream_.empty() ? 0 : 5432;
  } else {
    o.current_lsn = lsn_;
    o.replication = world_->ReplicationRows(*this);
    if (timeline() > 1) {
      o.timeline_history = HistoryLines();
      o.timeline_history_time = promoted_at_;
    }
  }
  for (const auto& slot : slots_) {
    pg::SlotInfo s{slot, "physical", "", "", false, lsn_};
    for (const auto* n : world_->Nodes()) {
      if (n->upstream_ == name_ && world_->Streaming(*n) && pg::SlotNameForMember(n->name_) == slot) s.active = true;
    }
    o.slots.push_back(s);
  }
  return o;
}

absl::Status FakePostgres::Bootstrap() {
  if (data_ != pg::DataDirState::kEmpty && data_ != pg::DataDirState::kMissing) {
    return absl::FailedPreconditionError("initdb: the data directory is not empty");
  }
  system_id_ = world_->NewSystemId();
  branch_ = world_->NewBranch(0, 1, 0, name_);
  lsn_ = 0;
  AppendWal(kInitialLsn);
  data_ = pg::DataDirState::kValid;
  running_ = true;
  standby_ = false;
  clean_ = false;
  upstream_.clear();
  started_at_ = world_->clock_->Now();
  return absl::OkStatus();
}

absl::Status FakePostgres::CreateReplica(const pg::CloneSource& source) {
  if (data_ == pg::DataDirState::kValid) return absl::FailedPreconditionError("pg_basebackup: data directory exists");
  absl::Status why;
  FakePostgres* u = Reach(source.upstream, &why);
  if (u == nullptr) return why;
  system_id_ = u->system_id_;
  branch_ = u->branch_;
  lsn_ = checkpoint_lsn_ = u->lsn_;
  data_ = pg::DataDirState::kValid;
  running_ = false;
  standby_ = true;
  clean_ = false;
  upstream_ = u->name_;
  slots_.clear();
  return absl::OkStatus();
}

absl::Status FakePostgres::Start(const std::optional<pg::Upstream>& upstream, bool as_standby,
                                 absl::Duration timeout) {
  if (data_ != pg::DataDirState::kValid) return absl::FailedPreconditionError("not a valid data directory");
  if (running_) return absl::OkStatus();  // like pg_ctl: a running server keeps its role
  if (!as_standby) {
    const WalBranch& b = world_->Branch(branch_);
    // Someone else's WAL (a standby's data, or an old point of our own): crash recovery ends
    // on the same timeline and what follows is a new history.
    if (b.writer != name_ || b.written != lsn_) branch_ = world_->NewBranch(branch_, b.timeline, lsn_, name_);
    upstream_.clear();
  } else {
    upstream_ = upstream ? upstream->name : "";
  }
  running_ = true;
  standby_ = as_standby;
  clean_ = false;
  started_at_ = world_->clock_->Now();
  return absl::OkStatus();
}

absl::Status FakePostgres::Stop(pg::StopMode mode, absl::Duration timeout) {
  if (!running_) return absl::OkStatus();
  checkpoint_lsn_ = lsn_;
  clean_ = mode != pg::StopMode::kImmediate && mode != pg::StopMode::kKill;
  if (!standby_ && clean_) {
    // The shutdown checkpoint, sent to every connected standby before the walsenders exit.
    AppendWal(kCheckpointRecord);
    for (FakePostgres* s : world_->Nodes()) {
      if (s->upstream_ == name_ && world_->Streaming(*s) && !s->receive_paused_) world_->Receive(*s, true);
    }
  }
  pending_.clear();
  running_ = false;
  return absl::OkStatus();
}

absl::Status FakePostgres::Restart(const std::optional<pg::Upstream>& upstream, bool as_standby,
                                   absl::Duration timeout) {
  absl::Status s = Stop(pg::StopMode::kFast, timeout);
  if (!s.ok()) return s;
  return Start(upstream, as_standby, timeout);
}

absl::Status FakePostgres::Reload() { return running_ ? absl::OkStatus() : absl::UnavailableError("not running"); }

absl::Status FakePostgres::Promote(absl::Duration timeout) {
  if (!running_) return absl::UnavailableError("PostgreSQL is not running");
  if (!standby_) return absl::OkStatus();
  if (world_->on_promote) world_->on_promote(name_);
  branch_ = world_->NewBranch(branch_, timeline() + 1, lsn_, name_);
  AppendWal(kEndOfRecovery);
  standby_ = false;
  upstream_.clear();
  ++promotions_;
  promoted_at_ = world_->clock_->Now();
  return absl::OkStatus();
}

absl::Status FakePostgres::Follow(const std::optional<pg::Upstream>& upstream, absl::Duration timeout) {
  if (!running_) return Start(upstream, true, timeout);
  if (standby_) {
    upstream_ = upstream ? upstream->name : "";
    return absl::OkStatus();
  }
  absl::Status s = Stop(pg::StopMode::kFast, timeout);
  if (!s.ok()) return s;
  return Start(upstream, true, timeout);
}

absl::StatusOr<bool> FakePostgres::NeedsRewind(const pg::Upstream& leader) {
  // The real controller's algorithm, on the timelines and positions it can see.
  if (running_ && !standby_) return absl::FailedPreconditionError("the local server runs as primary: demote it first");
  if (data_ != pg::DataDirState::kValid) return absl::FailedPreconditionError("cannot read the local timeline");
  absl::Status why;
  FakePostgres* l = Reach(leader, &why);
  if (l == nullptr) return why;
  int local = timeline();
  int theirs = l->timeline();
  if (local > theirs) return true;
  if (local == theirs) {
    // The real controller compares the switch points of both history files for this timeline.
    if (local <= 1) return false;
    auto mine = HistoryLines(), leaders = l->HistoryLines();
    return !std::equal(mine.begin(), mine.end(), leaders.begin(), leaders.end(),
                       [](const auto& a, const auto& b) { return a.timeline == b.timeline && a.lsn == b.lsn; });
  }
  for (const auto& line : l->HistoryLines()) {
    if (line.timeline == local) {
      if (standby_) return lsn_ > line.lsn;
      if (checkpoint_lsn_ >= line.lsn) return true;
      return !(clean_ && lsn_ == line.lsn);  // the shutdown checkpoint ends at the switch point
    }
    if (line.timeline > local) return true;
  }
  return true;
}

absl::Status FakePostgres::Rewind(const pg::Upstream& leader) {
  if (!CanRewind()) return absl::FailedPreconditionError("pg_rewind is not possible");
  absl::Status why;
  FakePostgres* l = Reach(leader, &why);
  if (l == nullptr) return why;
  // pg_rewind: "source and target cluster are on the same timeline; no rewind required".
  if (timeline() == l->timeline()) return absl::OkStatus();
  if (running_) (void)Stop(pg::StopMode::kFast, absl::Seconds(60));
  branch_ = l->branch_;
  lsn_ = checkpoint_lsn_ = l->lsn_;
  standby_ = true;
  clean_ = false;
  return absl::OkStatus();
}

bool FakePostgres::CanRewind() { return use_pg_rewind_ && data_ == pg::DataDirState::kValid; }

absl::Status FakePostgres::RemoveDataDirectory() {
  if (running_) return absl::FailedPreconditionError("refusing to remove the data directory of a running server");
  data_ = pg::DataDirState::kEmpty;
  system_id_ = 0;
  branch_ = 0;
  lsn_ = checkpoint_lsn_ = 0;
  standby_ = false;
  clean_ = true;
  upstream_.clear();
  slots_.clear();
  return absl::OkStatus();
}

absl::Status FakePostgres::Checkpoint() { return running_ ? absl::OkStatus() : absl::UnavailableError("not running"); }

absl::Status FakePostgres::SyncReplicationSlots(const std::vector<pg::DesiredSlot>& wanted,
                                               const std::vector<std::string>& drop) {
  if (!running_) return absl::UnavailableError("not running");
  for (const auto& name : drop) slots_.erase(std::remove(slots_.begin(), slots_.end(), name), slots_.end());
  for (const auto& w : wanted) {
    if (std::find(slots_.begin(), slots_.end(), w.name) == slots_.end()) slots_.push_back(w.name);
  }
  return absl::OkStatus();
}

absl::Status FakePostgres::CopyLogicalSlots(const pg::Upstream& leader, const std::vector<pg::DesiredSlot>& slots,
                                           const std::optional<pg::Upstream>& upstream, absl::Duration timeout) {
  if (!running_) return absl::UnavailableError("not running");
  for (const auto& w : slots) {
    if (std::find(slots_.begin(), slots_.end(), w.name) == slots_.end()) slots_.push_back(w.name);
  }
  return absl::OkStatus();
}

absl::Status FakePostgres::SetSynchronousStandbyNames(const std::string& value) {
  sync_names_ = value;
  world_->SettleAcks();  // a reload releases or re-targets waiting commits at once
  return absl::OkStatus();
}

}  // namespace pgha::testing
