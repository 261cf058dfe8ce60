#include "sim_cluster.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "pgha/api/http_client.h"
#include "pgha/api/status_views.h"

namespace pgha::sim {
namespace {

constexpr char kScope[] = "sim";
constexpr char kNamespace[] = "/service";

// GET /patroni on other nodes: what their REST API would answer, or nothing when the node or the
// network is down.
class SimProber final : public ha::PeerProber {
 public:
  SimProber(SimCluster* sim, std::string self) : sim_(sim), self_(std::move(self)) {}

  std::vector<ha::PeerStatus> Probe(const std::vector<dcs::Member>& members, absl::Duration) override {
    std::vector<ha::PeerStatus> out;
    for (const auto& m : members) {
      ha::PeerStatus down;
      down.name = m.name;
      if (std::find(sim_->names().begin(), sim_->names().end(), m.name) == sim_->names().end() ||
          !sim_->node(m.name).up() || sim_->node(m.name).frozen(sim_->clock().Monotonic()) ||
          !sim_->world().CanTalk(self_, m.name)) {
        out.push_back(down);
        continue;
      }
      const SimCluster::Node& n = sim_->node(m.name);
      // What the REST server answers: the published status with positions queried now.
      ha::NodeStatus live = api::WithLivePositions(*n.board->Current(), n.pg->ObservePositions());
      ha::PeerStatus p = api::ParsePeerStatus(m.name, api::PatroniStatus(live).dump());
      out.push_back(p);
    }
    return out;
  }

 private:
  SimCluster* sim_;
  std::string self_;
};

}  // namespace

ha::TaskState CycleAlignedWorker::AlignedPoll() {
  ha::TaskState s = inner_.Poll();
  if (s.finished) held_ = s;
  if (deliver_ && held_) {
    deliver_ = false;
    ha::TaskState out = *held_;
    held_.reset();
    return out;
  }
  deliver_ = false;
  s.finished = false;
  return s;
}

SimCluster::SimCluster(SimOptions options)
    : options_(std::move(options)),
      rng_(options_.seed),
      store_(&clock_),
      world_(&clock_, options_.seed * 7919 + 17,
             testing::FakePgWorld::Options{options_.write_probability, 200, 16384}),
      checker_(this) {
  observer_ = std::make_unique<dcs::Dcs>(std::make_unique<testing::FakeDcsBackend>(&store_, "sim-observer"),
                                         dcs::KeyLayout(kNamespace, kScope));
  world_.on_promote = [this](const std::string& name) { checker_.OnPromote(name); };
  clock_.SetSleepHook([this] { CatchUp(/*nested=*/true); });
  for (int i = 1; i <= options_.nodes; ++i) {
    std::string name = absl::StrCat("n", i);
    auto n = std::make_unique<Node>();
    n->name = name;
    n->config = NodeConfig(name);
    n->pg = world_.AddNode(name);
    names_.push_back(name);
    nodes_[name] = std::move(n);
  }
  for (const auto& name : names_) {
    StartDaemon(node(name));
    node(name).next_cycle = clock_.Monotonic() + RandomDuration(absl::ZeroDuration(), absl::Seconds(2));
  }
  next_tick_ = clock_.Monotonic() + absl::Seconds(1);
}

SimCluster::~SimCluster() {
  clock_.SetSleepHook(nullptr);
  for (auto& [name, n] : nodes_) StopDaemon(*n);
}

config::Config SimCluster::NodeConfig(const std::string& name) const {
  config::Config c;
  c.name = name;
  c.scope = kScope;
  c.namespace_ = kNamespace;
  c.restapi.listen = c.restapi.connect_address = name + ":8008";
  c.postgresql.listen = "0.0.0.0:5432";
  c.postgresql.connect_address = name + ":5432";
  c.postgresql.data_dir = "/sim/" + name;
  c.bootstrap.present = true;
  c.bootstrap.dcs = Json{{"ttl", options_.ttl},
                         {"loop_wait", options_.loop_wait},
                         {"retry_timeout", options_.retry_timeout},
                         {"maximum_lag_on_failover", 1048576},
                         {"synchronous_mode", options_.synchronous_mode && options_.quorum_commit
                                                  ? Json("quorum")
                                                  : Json(options_.synchronous_mode)},
                         {"synchronous_mode_strict", options_.synchronous_mode_strict},
                         {"synchronous_node_count", options_.synchronous_node_count},
                         {"postgresql", {{"use_pg_rewind", true}, {"use_slots", true}}}};
  c.watchdog.mode = config::WatchdogMode::kOff;
  if (std::find(options_.nofailover.begin(), options_.nofailover.end(), name) != options_.nofailover.end()) {
    c.tags.nofailover = true;
    c.tags.all["nofailover"] = true;
  }
  return c;
}

void SimCluster::StartDaemon(Node& n) {
  n.dcs = std::make_unique<dcs::Dcs>(
      std::make_unique<testing::FakeDcsBackend>(&store_, n.name, absl::Seconds(options_.ttl),
                                                absl::Seconds(options_.retry_timeout)),
      dcs::KeyLayout(kNamespace, kScope));
  n.worker = std::make_unique<CycleAlignedWorker>(options_.raw_inline_worker);
  n.watchdog = ha::MakeNullWatchdog();
  n.board = std::make_unique<ha::StatusBoard>();
  n.prober = std::make_unique<SimProber>(this, n.name);
  ha::HaLoopOptions o;
  o.local = n.config;
  o.dcs = n.dcs.get();
  o.pg = n.pg;
  o.prober = n.prober.get();
  o.worker = n.worker.get();
  o.watchdog = n.watchdog.get();
  o.guard = n.guard.get();
  o.board = n.board.get();
  o.clock = &clock_;
  n.loop = std::make_unique<ha::HaLoop>(std::move(o));
}

void SimCluster::StopDaemon(Node& n) {
  n.loop.reset();
  n.prober.reset();
  n.board.reset();
  n.watchdog.reset();
  n.worker.reset();
  n.dcs.reset();  // the session stays in the store until it expires
}

// ---- time ------------------------------------------------------------------------------------

void SimCluster::Step() {
  clock_.Advance(options_.step);
  CatchUp(/*nested=*/false);
}

void SimCluster::EnforceFencers() {
  if (!options_.fencer) return;
  absl::Time now = clock_.Monotonic();
  for (const auto& name : names_) {
    Node& n = node(name);
    std::optional<ha::WriteDeadline> armed = n.guard->Armed();
    if (!armed || now < armed->stop_writes) continue;
    n.guard->Disarm();
    // The real fencer leaves a node that is not a primary alone (standby.signal).
    if (!n.pg->primary()) continue;
    Event(absl::StrCat("FENCER ", name, ": write deadline passed without renewal; fast shutdown"));
    (void)n.pg->Stop(pg::StopMode::kFast, absl::Seconds(10));
  }
}

void SimCluster::CatchUp(bool nested) {
  absl::Time now = clock_.Monotonic();
  EnforceFencers();
  // Faults and repairs happen between cycles, never inside one (a sleeping node is mid-cycle).
  while (!nested && !scheduled_.empty() && scheduled_.begin()->first <= now) {
    auto action = std::move(scheduled_.begin()->second);
    scheduled_.erase(scheduled_.begin());
    action();
    EnforceFencers();
    checker_.CheckStep();
  }
  while (next_tick_ <= now) {
    world_.Tick();
    next_tick_ += absl::Seconds(1);
    EnforceFencers();
    checker_.CheckStep();
  }
  if (options_.wake_on_dcs_change) WakeWatchers(now);
  std::vector<Node*> due;
  for (const auto& name : names_) {
    Node& n = node(name);
    if (n.up() && !n.busy && n.next_cycle <= now) due.push_back(&n);
  }
  std::shuffle(due.begin(), due.end(), rng_);
  for (Node* n : due) {
    if (n->up() && !n->busy && n->next_cycle <= clock_.Monotonic()) RunCycle(*n);
  }
}

// What HaLoop::Run's watcher compares (ha_loop.cc NeedsAttention): the leader lock and its
// holder's role, the failover request, the configuration and `initialize`.
std::string SimCluster::AttentionKey(const dcs::ClusterState& c) {
  const dcs::Member* leader = c.LeaderMember();
  return absl::StrCat(c.leader ? c.leader->name : "-", "@", c.leader ? c.leader->version : dcs::kNoVersion, "/",
                      leader != nullptr ? leader->role : "", "/", c.failover ? c.failover->version : dcs::kNoVersion,
                      "/", c.config ? c.config->version : dcs::kNoVersion, "/", c.initialize.value_or("<none>"));
}

void SimCluster::WakeWatchers(absl::Time now) {
  if (store_.IsDown()) return;  // the watchers' waits fail; nobody wakes
  std::string key = AttentionKey(*Snapshot());
  for (const auto& name : names_) {
    Node& n = node(name);
    if (!n.up() || n.busy || n.frozen(now) || n.watched.empty() || n.watched == key || store_.IsPartitioned(name)) {
      continue;
    }
    n.watched.clear();  // one wake per change
    absl::Time wake = now + RandomDuration(absl::Milliseconds(50), absl::Milliseconds(500));
    if (n.next_cycle > wake) n.next_cycle = wake;
  }
}

void SimCluster::RunCycle(Node& n) {
  dcs::ClusterStatePtr seen = Snapshot();
  if (!store_.IsDown() && !store_.IsPartitioned(n.name)) n.watched = AttentionKey(*seen);
  checker_.BeforeCycle(n.name, seen);
  absl::Time started = clock_.Monotonic();
  n.worker->BeginCycle();
  n.busy = true;
  std::string line = n.loop->RunCycle();
  n.busy = false;
  ++n.cycles;
  Event(absl::StrCat(n.name, ": ", line));
  if (options_.synchronous_mode) {
    // The synchronous state as it moves (traces of failures show what the race saw).
    dcs::ClusterStatePtr after = Snapshot();
    std::string sync = after->sync ? absl::StrCat("leader ", after->sync->leader, ", quorum ",
                                                  after->sync->quorum.value_or(0), ", standbys [",
                                                  absl::StrJoin(after->sync->sync_standby, ","), "]")
                                   : "none";
    std::string names = n.pg->Observe().synchronous_standby_names;
    std::string state = absl::StrCat(sync, "; ", n.name, " synchronous_standby_names '", names, "'");
    if (sync != last_sync_ || (n.pg->primary() && names != last_standby_names_[n.name])) {
      Event(absl::StrCat("sync key: ", state));
      last_sync_ = sync;
      last_standby_names_[n.name] = names;
    }
  }
  for (const auto& failure : n.worker->TakeFailures()) Event(absl::StrCat(n.name, ": task ", failure));
  absl::Duration jitter = RandomDuration(absl::ZeroDuration(), options_.cycle_jitter);
  n.next_cycle = std::max(started + n.loop->NextCycleWithin() + jitter, clock_.Monotonic());
  if (n.loop->exit_reason()) {
    Event(absl::StrCat(n.name, " daemon exits: ", *n.loop->exit_reason()));
    StopDaemon(n);
    std::string name = n.name;
    After(absl::Seconds(30), [this, name] { Restart(name); });
  }
  world_.SettleAcks();
  checker_.CheckStep();
}

void SimCluster::RunFor(absl::Duration d) {
  absl::Duration end = Elapsed() + d;
  while (Elapsed() < end) Step();
}

bool SimCluster::RunUntil(const std::function<bool()>& done, absl::Duration limit) {
  absl::Duration end = Elapsed() + limit;
  while (Elapsed() < end) {
    Step();
    if (done()) return true;
  }
  return false;
}

void SimCluster::After(absl::Duration d, std::function<void()> action) {
  scheduled_.emplace(clock_.Monotonic() + d, std::move(action));
}

absl::Duration SimCluster::RandomDuration(absl::Duration lo, absl::Duration hi) {
  std::uniform_int_distribution<int64_t> ms(absl::ToInt64Milliseconds(lo), absl::ToInt64Milliseconds(hi));
  return absl::Milliseconds(ms(rng_));
}

// ---- inspection ------------------------------------------------------------------------------

std::string SimCluster::LockHolder() {
  auto e = store_.Peek(dcs::KeyLayout(kNamespace, kScope).Leader());
  return e ? e->value : "";
}

std::vector<std::string> SimCluster::WritablePrimaries() const {
  std::vector<std::string> out;
  for (const auto& name : names_) {
    if (node(name).pg->primary()) out.push_back(name);
  }
  return out;
}

dcs::ClusterStatePtr SimCluster::Snapshot() {
  bool down = store_.IsDown();
  if (down) store_.SetDown(false);  // the observer sees through outages
  auto s = observer_->Load(dcs::ReadMode::kLinearizable);
  if (down) store_.SetDown(true);
  return s.ok() ? *s : std::make_shared<dcs::ClusterState>();
}

bool SimCluster::Converged(std::string* why) {
  std::string holder = LockHolder();
  std::vector<std::string> writable = WritablePrimaries();
  if (holder.empty() || writable != std::vector<std::string>{holder}) {
    *why = absl::StrCat("lock holder '", holder, "', writable [", absl::StrJoin(writable, ","), "]");
    return false;
  }
  for (const auto& name : names_) {
    const Node& n = node(name);
    if (name == holder) continue;
    if (!n.up() || !n.pg->running() || n.pg->upstream() != holder ||
        n.pg->Observe().replication_state != "streaming") {
      *why = absl::StrCat(name, " is not a streaming replica of ", holder, " (up ", n.up(), ", running ",
                          n.pg->running(), ", upstream '", n.pg->upstream(), "', data ",
                          world_.Describe(n.pg->point()), ")");
      return false;
    }
  }
  if (options_.synchronous_mode && options_.quorum_commit) return QuorumConverged(holder, why);
  return true;
}

// Quorum commit at rest: every other node is a voter (a nofailover one only while too few
// others), `sync` asks for the quorum that ANY n (...) leaves, and the primary runs with it.
bool SimCluster::QuorumConverged(const std::string& holder, std::string* why) {
  std::vector<std::string> promotable, nofailover;
  for (const auto& name : names_) {
    if (name == holder) continue;
    bool tagged = std::find(options_.nofailover.begin(), options_.nofailover.end(), name) != options_.nofailover.end();
    (tagged ? nofailover : promotable).push_back(name);
  }
  std::vector<std::string> voters = promotable;
  for (const auto& name : nofailover) {
    if (static_cast<int>(voters.size()) < options_.synchronous_node_count) voters.push_back(name);
  }
  std::sort(voters.begin(), voters.end());
  int numsync = std::min<int>(options_.synchronous_node_count, voters.size());
  int quorum = static_cast<int>(voters.size()) - numsync;
  dcs::ClusterStatePtr c = Snapshot();
  std::string want_key = absl::StrCat("leader ", holder, ", quorum ", quorum, ", voters ", absl::StrJoin(voters, ","));
  std::string key = c->sync ? absl::StrCat("leader ", c->sync->leader, ", quorum ", c->sync->quorum.value_or(-1),
                                           ", voters ", absl::StrJoin(c->sync->sync_standby, ","))
                            : "none";
  std::string want_names = absl::StrCat("ANY ", numsync, " (", absl::StrJoin(voters, ","), ")");
  std::string names = node(holder).pg->Observe().synchronous_standby_names;
  if (key != want_key || names != want_names) {
    *why = absl::StrCat("sync key '", key, "' (want '", want_key, "'), synchronous_standby_names '", names,
                        "' (want '", want_names, "')");
    return false;
  }
  return true;
}

void SimCluster::Event(const std::string& text) {
  trace_.push_back(absl::StrFormat("[%9.2fs] %s", absl::ToDoubleSeconds(clock_.Elapsed()), text));
  static const bool echo = std::getenv("PGHA_SIM_TRACE") != nullptr;  // every event, as it happens
  if (echo) std::cout << trace_.back() << "\n";
  if (trace_.size() > 5000) trace_.pop_front();
}

std::string SimCluster::Trace(size_t last) const {
  size_t from = trace_.size() > last ? trace_.size() - last : 0;
  std::string out;
  for (size_t i = from; i < trace_.size(); ++i) absl::StrAppend(&out, trace_[i], "\n");
  return out;
}

}  // namespace pgha::sim
