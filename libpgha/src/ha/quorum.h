// Quorum commit (`synchronous_mode: quorum`, Patroni 4): the order in which the primary changes
// `synchronous_standby_names` and the `sync` key so that no acknowledged commit is ever lost.
//
// Two "ANY n of set" pairs describe the state:
//   - PostgreSQL's `synchronous_standby_names = 'ANY numsync (sync...)'`: a commit is
//     acknowledged once `numsync` of the `sync` standbys flushed it;
//   - the `sync` key: `leader`, `sync_standby` (the voters) and `quorum`: a node that races for
//     the lock must see `quorum` voters (itself counted when it is one, the former leader being
//     one) none of which is ahead of it.
// The invariant: every set of standbys that can acknowledge a commit overlaps every set of nodes
// that can elect a new leader, i.e. |voters ∪ sync| <= quorum + numsync + 1 (the leader is in
// both), and one of the two node sets contains the other. Growing either number happens before
// shrinking the other; which set changes first depends on whether `sync` is empty.
// ResolveQuorum computes the steps from any state (including one a crash interrupted half way)
// to the wanted one, each step keeping the invariant. It follows Patroni's QuorumStateResolver
// (patroni/quorum.py) transition for transition, so that a mixed cluster behaves the same; the
// table tests in tests/unit/ha/quorum_test.cc pin the sequences.
//
// Pure functions; thread-safety: plain values.
#ifndef PGHA_HA_QUORUM_H_
#define PGHA_HA_QUORUM_H_

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pgha::ha {

// A set of member names compared case-insensitively (PostgreSQL matches application_name against
// synchronous_standby_names that way), iterated in the order of the names as spelled.
class NameSet {
 public:
  NameSet() = default;
  NameSet(std::initializer_list<std::string> names);
  explicit NameSet(const std::vector<std::string>& names);

  void Add(const std::string& name);
  bool Contains(const std::string& name) const;
  size_t size() const { return by_key_.size(); }
  bool empty() const { return by_key_.empty(); }
  // The names as spelled, sorted (Python's sorted() of the same strings).
  std::vector<std::string> Sorted() const;
  bool SubsetOf(const NameSet& other) const;

  friend NameSet operator|(const NameSet& a, const NameSet& b);
  friend NameSet operator-(const NameSet& a, const NameSet& b);
  friend NameSet operator&(const NameSet& a, const NameSet& b);
  friend bool operator==(const NameSet& a, const NameSet& b);
  friend bool operator!=(const NameSet& a, const NameSet& b) { return !(a == b); }

 private:
  std::map<std::string, std::string> by_key_;  // lower-case name -> name as spelled
};

struct QuorumInputs {
  std::string leader;          // the `sync` key's leader
  int quorum = 0;              // the `sync` key's quorum
  NameSet voters;              // the `sync` key's sync_standby
  int numsync = 0;             // synchronous_standby_names: ANY numsync (...)
  NameSet sync;                // synchronous_standby_names: the names listed
  int numsync_confirmed = 0;   // listed standbys known to have caught up since they were listed
  NameSet active;              // standbys streaming from the primary that may be synchronous
  int sync_wanted = 1;         // synchronous_node_count
  std::string leader_wanted;   // this primary (differs from `leader` right after a failover)
};

struct QuorumTransition {
  enum class Kind {
    kSync,     // set synchronous_standby_names to ANY num (names)
    kQuorum,   // write the `sync` key: leader, quorum = num, sync_standby = names
    kRestart,  // nothing to write yet: look again soon (standbys are becoming synchronous)
  };
  Kind kind = Kind::kSync;
  std::string leader;
  int num = 0;
  std::vector<std::string> names;  // sorted
  bool operator==(const QuorumTransition& o) const {
    return kind == o.kind && leader == o.leader && num == o.num && names == o.names;
  }
};

// The steps from `in` to the wanted state, to be applied in order; consecutive steps of the same
// kind are merged (the intermediate one is never observed), and the list ends at a kRestart.
// Empty: nothing to change. kFailedPrecondition when the state cannot be moved safely (it is
// logged and left as it is, as Patroni does).
absl::StatusOr<std::vector<QuorumTransition>> ResolveQuorum(const QuorumInputs& in);

// synchronous_standby_names as the state machine wants it: "ANY num (a,b)" with the names
// sorted and quoted where PostgreSQL needs it; "" when `names` is empty and num is 0; a
// placeholder no standby is named after when `names` is empty and num >= 1 (strict mode: commits
// wait). num 0 with names is "" too: PostgreSQL refuses "ANY 0", and nothing waits either way.
std::string QuorumStandbyNames(const std::vector<std::string>& names, int num);

// A name as synchronous_standby_names lists it: in double quotes ("" for a quote), always
// (Patroni 3's quote_ident, for synchronous_mode on) or only where PostgreSQL needs them (not an
// identifier, or a keyword: Patroni 4's quote_standby_name).
std::string QuoteStandbyName(const std::string& name, bool only_when_needed);

// synchronous_standby_names parsed as PostgreSQL reads it. Unparsable: type kOff, no names.
struct StandbyNames {
  enum class Type { kOff, kPriority, kQuorum } type = Type::kOff;
  int num = 0;
  NameSet names;        // the placeholder is not a name
  bool has_star = false;
};
StandbyNames ParseStandbyNames(const std::string& value);

// The name used while strict mode has no standby to list (Patroni 4's, so both read it alike).
inline constexpr char kStrictSyncPlaceholder[] = "__patroni_strict_sync_replica_placeholder__";

}  // namespace pgha::ha

#endif  // PGHA_HA_QUORUM_H_
