#include "quorum.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace pgha::ha {

// ---- NameSet ---------------------------------------------------------------------------------

NameSet::NameSet(std::initializer_list<std::string> names) {
  for (const auto& n : names) Add(n);
}

NameSet::NameSet(const std::vector<std::string>& names) {
  for (const auto& n : names) Add(n);
}

void NameSet::Add(const std::string& name) { by_key_[absl::AsciiStrToLower(name)] = name; }

bool NameSet::Contains(const std::string& name) const {
  return by_key_.count(absl::AsciiStrToLower(name)) != 0;
}

std::vector<std::string> NameSet::Sorted() const {
  std::vector<std::string> out;
  for (const auto& [key, name] : by_key_) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

bool NameSet::SubsetOf(const NameSet& other) const {
  for (const auto& [key, name] : by_key_) {
    if (other.by_key_.count(key) == 0) return false;
  }
  return true;
}

NameSet operator|(const NameSet& a, const NameSet& b) {
  NameSet out = a;
  for (const auto& [key, name] : b.by_key_) out.by_key_[key] = name;
  return out;
}

NameSet operator-(const NameSet& a, const NameSet& b) {
  NameSet out;
  for (const auto& [key, name] : a.by_key_) {
    if (b.by_key_.count(key) == 0) out.by_key_[key] = name;
  }
  return out;
}

NameSet operator&(const NameSet& a, const NameSet& b) {
  NameSet out;
  for (const auto& [key, name] : a.by_key_) {
    if (b.by_key_.count(key) != 0) out.by_key_[key] = name;
  }
  return out;
}

bool operator==(const NameSet& a, const NameSet& b) {
  if (a.by_key_.size() != b.by_key_.size()) return false;
  for (const auto& [key, name] : a.by_key_) {
    if (b.by_key_.count(key) == 0) return false;
  }
  return true;
}

namespace {

bool ProperSubset(const NameSet& a, const NameSet& b) { return a.SubsetOf(b) && a.size() < b.size(); }

int Size(const NameSet& s) { return static_cast<int>(s.size()); }

// The state machine. Each step changes the state, then checks the invariant: a step that would
// break it fails the whole resolution (nothing is applied), except in the first phase, where a
// broken state is repaired by raising the quorum (Patroni's rule).
class Resolver {
 public:
  explicit Resolver(const QuorumInputs& in)
      : leader_(in.leader),
        quorum_(in.quorum),
        voters_(in.voters),
        numsync_(std::min(in.numsync, Size(in.sync))),  // ANY n of fewer than n names waits for all
        sync_(in.sync),
        numsync_confirmed_(in.numsync_confirmed),
        active_(in.active),
        sync_wanted_(in.sync_wanted),
        leader_wanted_(in.leader_wanted) {}

  absl::StatusOr<std::vector<QuorumTransition>> Run() {
    absl::Status s = Generate();
    if (!s.ok()) return s;
    // Merge consecutive steps of one kind and stop at the first restart.
    std::vector<QuorumTransition> merged;
    for (size_t i = 0; i < steps_.size(); ++i) {
      if (i + 1 < steps_.size() && steps_[i + 1].kind == steps_[i].kind) continue;
      merged.push_back(steps_[i]);
      if (steps_[i].kind == QuorumTransition::Kind::kRestart) break;
    }
    return merged;
  }

 private:
  static absl::Status Broken(std::string why) { return absl::FailedPreconditionError(std::move(why)); }

  absl::Status CheckInvariants() const {
    NameSet voters = voters_ | NameSet{leader_};
    NameSet sync = sync_ | NameSet{leader_wanted_};
    int nodes = Size(voters | sync);
    if (!voters_.empty() && nodes > quorum_ + numsync_ + 1) {
      return Broken(absl::StrCat("quorum and sync not guaranteed to overlap: nodes ", nodes, " >= quorum ",
                                 quorum_, " + sync ", numsync_, " + 1"));
    }
    if (!voters.SubsetOf(sync) && !sync.SubsetOf(voters)) {
      return Broken(absl::StrCat("mismatched sets: voter only ", absl::StrJoin((voters - sync).Sorted(), ","),
                                 ", sync only ", absl::StrJoin((sync - voters).Sorted(), ",")));
    }
    return absl::OkStatus();
  }

  void Emit(QuorumTransition::Kind kind, int num, const NameSet& names) {
    steps_.push_back({kind, leader_, num, names.Sorted()});
  }

  // The `sync` key's next value. `adjust`: raise the quorum by the listed standbys not yet known
  // to have caught up, so that the race still finds one that has every acknowledged commit.
  absl::Status QuorumUpdate(int quorum, NameSet voters, std::optional<std::string> leader = std::nullopt,
                            bool adjust = true) {
    if (quorum < 0) return Broken(absl::StrCat("quorum ", quorum, " < 0"));
    if (quorum > 0 && quorum >= Size(voters)) {
      return Broken(absl::StrCat("quorum ", quorum, " >= N of (", absl::StrJoin(voters.Sorted(), ","), ")"));
    }
    std::string old_leader = leader_;
    if (leader) {
      leader_ = *leader;
    } else if (numsync_confirmed_ == 0 && voters_.empty()) {
      // Nobody is known to have caught up: the key stays without voters.
      quorum = 0;
      voters = NameSet();
    } else if (adjust) {
      quorum += std::max(numsync_ - numsync_confirmed_, 0);
    }
    if (leader_ == old_leader && quorum == quorum_ && voters == voters_) {
      if (!voters_.empty()) return absl::OkStatus();
      // Nothing to write: the caller should look again once standbys became synchronous.
      Emit(QuorumTransition::Kind::kRestart, quorum_, voters_);
    }
    quorum_ = quorum;
    voters_ = std::move(voters);
    absl::Status s = CheckInvariants();
    if (!s.ok()) return s;
    Emit(QuorumTransition::Kind::kQuorum, quorum_, voters_);
    return absl::OkStatus();
  }

  // synchronous_standby_names' next value.
  absl::Status SyncUpdate(int numsync, NameSet sync) {
    if (numsync < 0) return Broken(absl::StrCat("sync ", numsync, " < 0"));
    if (numsync > Size(sync)) {
      return Broken(absl::StrCat("sync ", numsync, " > N of (", absl::StrJoin(sync.Sorted(), ","), ")"));
    }
    numsync_ = numsync;
    sync_ = std::move(sync);
    absl::Status s = CheckInvariants();
    if (!s.ok()) return s;
    Emit(QuorumTransition::Kind::kSync, numsync_, sync_);
    return absl::OkStatus();
  }

  // A change a crash interrupted: the two sets differ. Finish it first.
  absl::Status NonSteadyCases() {
    if (ProperSubset(sync_, voters_)) {
      // In the middle of changing the voters: drop dead ones not synced to, sync to live ones.
      NameSet remove_from_voters = voters_ - (sync_ | active_);
      if (!remove_from_voters.empty()) {
        absl::Status s = QuorumUpdate(Size(voters_) - Size(remove_from_voters) - numsync_,
                                      voters_ - remove_from_voters, std::nullopt, (sync_ - active_).empty());
        if (!s.ok()) return s;
      }
      NameSet add_to_sync = (voters_ & active_) - sync_;
      if (!add_to_sync.empty()) {
        absl::Status s = SyncUpdate(numsync_, sync_ | add_to_sync);
        if (!s.ok()) return s;
      }
    } else if (ProperSubset(voters_, sync_)) {
      // In the middle of changing the replication factor: drop dead standbys from `sync` while
      // the two sets keep a common node, make live synced ones voters, then drop the rest.
      NameSet remove_from_sync = sync_ - active_;
      NameSet sync = sync_ - remove_from_sync;
      if (!remove_from_sync.empty() && !sync.empty() && (voters_.empty() || !(sync & voters_).empty())) {
        absl::Status s = SyncUpdate(std::min(numsync_, Size(sync_) - Size(remove_from_sync)), sync);
        if (!s.ok()) return s;
      }
      NameSet add_to_voters = (sync_ - voters_) & active_;
      if (!add_to_voters.empty()) {
        NameSet voters = voters_ | add_to_voters;
        absl::Status s = QuorumUpdate(Size(voters) - numsync_, voters);
        if (!s.ok()) return s;
      }
      remove_from_sync = sync_ - voters_;
      if (!remove_from_sync.empty()) {
        absl::Status s = SyncUpdate(std::min(numsync_, Size(sync_) - Size(remove_from_sync)), sync_ - remove_from_sync);
        if (!s.ok()) return s;
      }
    }
    if (voters_ != sync_) return Broken("voters and synchronous standbys still differ");
    int margin = quorum_ + std::min(numsync_, numsync_confirmed_) - Size(voters_ | sync_);
    if (margin > 0) {
      // In the middle of changing the replication factor.
      if (numsync_ > sync_wanted_) return SyncUpdate(std::max(sync_wanted_, Size(voters_) - quorum_), sync_);
      return QuorumUpdate(Size(sync_) - numsync_, voters_);
    }
    margin = quorum_ + numsync_ - Size(voters_ | sync_);
    if (numsync_ == sync_wanted_ && margin > 0 && numsync_ > numsync_confirmed_) {
      return QuorumUpdate(Size(sync_) - numsync_, voters_);
    }
    return absl::OkStatus();
  }

  // Standbys that stopped streaming leave `sync` and the voters.
  absl::Status RemoveGoneNodes() {
    NameSet to_remove = sync_ - active_;
    if (to_remove.empty()) return absl::OkStatus();
    if (sync_ == to_remove) {
      absl::Status s = QuorumUpdate(0, NameSet(), std::nullopt, false);
      if (!s.ok()) return s;
      return SyncUpdate(0, NameSet());
    }
    if (quorum_ > 0) {
      // Lower the quorum first: pick the names to drop in a fixed order (reverse sorted).
      std::vector<std::string> sorted = to_remove.Sorted();
      std::reverse(sorted.begin(), sorted.end());
      sorted.resize(std::min<size_t>(sorted.size(), static_cast<size_t>(quorum_)));
      NameSet remove(sorted);
      NameSet sync = sync_ - remove;
      // Removing standbys may raise numsync towards synchronous_node_count.
      int numsync = std::min(sync_wanted_ > numsync_ ? sync_wanted_ : numsync_, Size(sync));
      absl::Status s = SyncUpdate(numsync, sync);
      if (!s.ok()) return s;
      NameSet voters = voters_ - remove;
      to_remove = to_remove & sync_;
      s = QuorumUpdate(Size(voters) - numsync_, voters, std::nullopt, to_remove.empty());
      if (!s.ok()) return s;
    }
    if (!to_remove.empty()) {
      if (quorum_ != 0) return Broken("quorum still above 0 while removing standbys");
      int numsync = numsync_ - Size(to_remove);
      NameSet sync = sync_ - to_remove;
      NameSet voters = voters_ - to_remove;
      int sync_decrease = numsync - std::min(sync_wanted_, Size(sync));
      int quorum = sync_decrease != 0 ? std::min(sync_decrease, Size(voters) - 1) : 0;
      absl::Status s = QuorumUpdate(quorum, voters, std::nullopt, false);
      if (!s.ok()) return s;
      return SyncUpdate(numsync, sync);
    }
    return absl::OkStatus();
  }

  // Standbys that started streaming join `sync` and the voters.
  absl::Status AddNewNodes() {
    NameSet to_add = active_ - sync_;
    if (to_add.empty()) return absl::OkStatus();
    int sync_wanted = std::min(sync_wanted_, Size(sync_ | to_add));
    int increase = sync_wanted - numsync_;
    if (increase > 0) {
      // First reach the wanted replication factor.
      NameSet add;
      if (!sync_.empty()) {
        std::vector<std::string> sorted = to_add.Sorted();
        sorted.resize(std::min<size_t>(sorted.size(), static_cast<size_t>(increase)));
        add = NameSet(sorted);
        increase = Size(add);
      } else {
        add = to_add;  // only the leader so far: adding everyone at once is safe
      }
      absl::Status s = SyncUpdate(numsync_ + increase, sync_ | add);
      if (!s.ok()) return s;
      NameSet voters = voters_ | add;
      s = QuorumUpdate(Size(voters) - sync_wanted, voters);
      if (!s.ok()) return s;
      to_add = to_add - sync_;
    }
    if (!to_add.empty()) {
      NameSet voters = voters_ | to_add;
      absl::Status s = QuorumUpdate(Size(voters) - sync_wanted, voters, std::nullopt, sync_wanted > numsync_confirmed_);
      if (!s.ok()) return s;
      return SyncUpdate(sync_wanted, sync_ | to_add);
    }
    return absl::OkStatus();
  }

  // synchronous_node_count changed.
  absl::Status ReplicationFactorChange() {
    int increase = std::min(sync_wanted_, Size(sync_)) - numsync_;
    if (increase > 0) {
      absl::Status s = SyncUpdate(numsync_ + increase, sync_);
      if (!s.ok()) return s;
      return QuorumUpdate(Size(voters_) - numsync_, voters_);
    }
    if (increase < 0) {
      if (quorum_ - increase < Size(voters_)) {
        absl::Status s = QuorumUpdate(Size(voters_) - numsync_ - increase, voters_, std::nullopt,
                                      sync_wanted_ > numsync_confirmed_);
        if (!s.ok()) return s;
      }
      return SyncUpdate(numsync_ + increase, sync_);
    }
    return absl::OkStatus();
  }

  // A failover: the new primary takes the `sync` key over, the former leader becoming a voter.
  // Returns whether the resolution ends here (no standby streams yet).
  absl::Status TakeOver(bool* done) {
    NameSet voters = (voters_ - NameSet{leader_wanted_}) | NameSet{leader_};
    if (sync_.empty()) {
      absl::Status s = SyncUpdate(Size(voters) - quorum_, voters);
      if (!s.ok()) return s;
    }
    absl::Status s = QuorumUpdate(quorum_, voters, leader_wanted_);
    if (!s.ok()) return s;
    // Right after a promotion the standbys may not have reconnected yet: give them a cycle
    // before they are dropped from the quorum.
    *done = (sync_ & active_).empty();
    return absl::OkStatus();
  }

  absl::Status Generate() {
    absl::Status first = absl::OkStatus();
    if (leader_wanted_ != leader_) {
      bool done = false;
      first = TakeOver(&done);
      if (first.ok() && done) return absl::OkStatus();
    } else {
      first = CheckInvariants();
    }
    if (!first.ok()) {
      // A broken state (another writer, a bug, an interrupted failover): raise the quorum to
      // what the current standby names need.
      absl::Status s = QuorumUpdate(Size(sync_) - numsync_, sync_);
      if (!s.ok()) return s;
    }
    if (leader_ != leader_wanted_) return Broken("the sync key's leader is not this primary");
    // After a restart or a failover nobody is known to have caught up: assume what the quorum says.
    if (numsync_confirmed_ == 0 && !(sync_ & active_).empty()) {
      numsync_confirmed_ = std::min(Size(sync_ & active_), Size(voters_) - quorum_);
    }
    for (auto step : {&Resolver::NonSteadyCases, &Resolver::RemoveGoneNodes, &Resolver::AddNewNodes,
                      &Resolver::ReplicationFactorChange}) {
      absl::Status s = (this->*step)();
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  std::string leader_;
  int quorum_;
  NameSet voters_;
  int numsync_;
  NameSet sync_;
  int numsync_confirmed_;
  NameSet active_;
  int sync_wanted_;
  std::string leader_wanted_;
  std::vector<QuorumTransition> steps_;
};

bool PlainStandbyName(const std::string& name) {
  if (name.empty() || !(absl::ascii_isalpha(name[0]) || name[0] == '_')) return false;
  for (char ch : name) {
    if (!absl::ascii_isalnum(ch) && ch != '_' && ch != '$') return false;
  }
  std::string lower = absl::AsciiStrToLower(name);
  return lower != "first" && lower != "any";
}

}  // namespace

std::string QuoteStandbyName(const std::string& name, bool only_when_needed) {
  if (only_when_needed && PlainStandbyName(name)) return name;
  std::string out = "\"";
  for (char ch : name) {
    if (ch == '"') out.push_back('"');
    out.push_back(ch);
  }
  out.push_back('"');
  return out;
}

absl::StatusOr<std::vector<QuorumTransition>> ResolveQuorum(const QuorumInputs& in) {
  return Resolver(in).Run();
}

std::string QuorumStandbyNames(const std::vector<std::string>& names, int num) {
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  if (sorted.empty()) {
    if (num < 1) return "";
    sorted = {kStrictSyncPlaceholder};
  }
  if (num < 1) return "";
  std::vector<std::string> quoted;
  for (const auto& n : sorted) quoted.push_back(QuoteStandbyName(n, true));
  return absl::StrCat("ANY ", num, " (", absl::StrJoin(quoted, ","), ")");
}

// ---- synchronous_standby_names -----------------------------------------------------------------

namespace {

struct Token {
  enum class Kind { kFirst, kAny, kIdent, kQuoted, kStar, kNum, kComma, kOpen, kClose, kJunk } kind;
  std::string text;
};

// PostgreSQL's syncrep scanner, as far as the names matter: keywords, identifiers, quoted
// names ("" is a quote), numbers, '*', ',', '(' and ')'.
std::vector<Token> Tokens(const std::string& v) {
  std::vector<Token> out;
  size_t i = 0;
  auto ident_start = [](char ch) { return absl::ascii_isalpha(ch) || ch == '_'; };
  auto ident_char = [](char ch) { return absl::ascii_isalnum(ch) || ch == '_' || ch == '$'; };
  while (i < v.size()) {
    char ch = v[i];
    if (absl::ascii_isspace(ch)) {
      ++i;
    } else if (ident_start(ch)) {
      size_t j = i;
      while (j < v.size() && ident_char(v[j])) ++j;
      std::string word = v.substr(i, j - i);
      std::string lower = absl::AsciiStrToLower(word);
      // Python's regex tries the keywords first, so "first1" is the keyword then a number.
      if (absl::StartsWith(lower, "first")) {
        out.push_back({Token::Kind::kFirst, word.substr(0, 5)});
        i += 5;
        continue;
      }
      if (absl::StartsWith(lower, "any")) {
        out.push_back({Token::Kind::kAny, word.substr(0, 3)});
        i += 3;
        continue;
      }
      out.push_back({Token::Kind::kIdent, word});
      i = j;
    } else if (ch == '"') {
      std::string name;
      size_t j = i + 1;
      bool closed = false;
      while (j < v.size()) {
        if (v[j] == '"') {
          if (j + 1 < v.size() && v[j + 1] == '"') {
            name.push_back('"');
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        name.push_back(v[j++]);
      }
      if (!closed || name.empty()) {
        out.push_back({Token::Kind::kJunk, "\""});
        ++i;
        continue;
      }
      out.push_back({Token::Kind::kQuoted, name});
      i = j;
    } else if (absl::ascii_isdigit(ch)) {
      size_t j = i;
      while (j < v.size() && absl::ascii_isdigit(v[j])) ++j;
      out.push_back({Token::Kind::kNum, v.substr(i, j - i)});
      i = j;
    } else {
      Token::Kind k = ch == '*'   ? Token::Kind::kStar
                      : ch == ',' ? Token::Kind::kComma
                      : ch == '(' ? Token::Kind::kOpen
                      : ch == ')' ? Token::Kind::kClose
                                  : Token::Kind::kJunk;
      out.push_back({k, std::string(1, ch)});
      ++i;
    }
  }
  return out;
}

}  // namespace

StandbyNames ParseStandbyNames(const std::string& value) {
  StandbyNames out;
  std::vector<Token> t = Tokens(value);
  if (t.empty()) return out;
  using K = Token::Kind;
  auto kinds_are = [&](size_t from, std::initializer_list<K> kinds) {
    size_t i = from;
    for (K k : kinds) {
      if (i >= t.size() || t[i].kind != k) return false;
      ++i;
    }
    return true;
  };
  StandbyNames parsed;
  size_t list_begin = 0, list_end = t.size();
  int num = 1;
  bool grouped = t.back().kind == K::kClose;
  if (grouped && kinds_are(0, {K::kAny, K::kNum, K::kOpen})) {
    parsed.type = StandbyNames::Type::kQuorum;
    if (!absl::SimpleAtoi(t[1].text, &num)) return out;
    list_begin = 3;
    list_end = t.size() - 1;
  } else if (grouped && kinds_are(0, {K::kFirst, K::kNum, K::kOpen})) {
    parsed.type = StandbyNames::Type::kPriority;
    if (!absl::SimpleAtoi(t[1].text, &num)) return out;
    list_begin = 3;
    list_end = t.size() - 1;
  } else if (grouped && kinds_are(0, {K::kNum, K::kOpen})) {
    parsed.type = StandbyNames::Type::kPriority;
    if (!absl::SimpleAtoi(t[0].text, &num)) return out;
    list_begin = 2;
    list_end = t.size() - 1;
  } else {
    parsed.type = StandbyNames::Type::kPriority;
  }
  parsed.num = num;
  for (size_t i = list_begin; i < list_end; ++i) {
    const Token& tok = t[i];
    bool comma_slot = (i - list_begin) % 2 == 1;
    if (comma_slot) {
      if (i + 1 == list_end || tok.kind != K::kComma) return out;  // unparsable
      continue;
    }
    switch (tok.kind) {
      case K::kIdent:
      case K::kFirst:
      case K::kAny:
      case K::kQuoted:
        parsed.names.Add(tok.text);
        break;
      case K::kStar:
        parsed.names.Add("*");
        parsed.has_star = true;
        break;
      default:
        return out;  // unparsable
    }
  }
  if (parsed.names == NameSet{kStrictSyncPlaceholder}) parsed.names = NameSet();
  return parsed;
}

}  // namespace pgha::ha
