#!/usr/bin/env python3
"""Captures Patroni's quorum state machine (patroni/quorum.py, Patroni 4) as a table of cases.

Usage: generate.py <patroni source dir> [count] [seed] > tests/fixtures/quorum_transitions.jsonl

Each output line is one case, a JSON array: the inputs of QuorumStateResolver (leader, quorum,
voters, numsync, sync, numsync_confirmed, active, sync_wanted, leader_wanted; a set of names is
written as one string of one-letter names) and what it produced: the list of transitions
[kind ("sync", "quorum" or "restart"), leader, num, names], or "error" (it raised). The C++ state
machine (libpgha/src/ha/quorum.cc) must produce the same for every line
(tests/unit/ha/quorum_test.cc). Inputs are random over five names, biased towards the states the
primary actually meets: the leader is "a", after a failover the wanted leader is another voter.
"""
import json
import logging
import random
import sys


def main():
    logging.disable(logging.CRITICAL)  # its warnings about broken states
    sys.path.insert(0, sys.argv[1])
    from patroni.quorum import QuorumStateResolver  # noqa: E402  (the checkout given above)
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    names = ['b', 'c', 'd', 'e', 'f']

    def subset(pool):
        return sorted(n for n in pool if rng.random() < 0.5)

    seen = set()
    out = []
    while len(out) < count:
        size = rng.randint(1, len(names))
        pool = names[:size]
        leader = 'a'
        voters = subset(pool)
        sync_wanted = rng.randint(1, 4)
        if rng.random() < 0.5:
            # A state the primary left behind: sync = voters and the quorum they need.
            sync = voters
            numsync = min(sync_wanted if rng.random() < 0.7 else rng.randint(1, 4), len(sync))
            quorum = max(0, len(voters) - numsync)
        else:
            sync = voters if rng.random() < 0.4 else subset(pool)
            quorum = rng.randint(0, max(0, len(voters)))
            numsync = rng.randint(0, max(0, len(sync)) + 1)
        active = sync if rng.random() < 0.3 else subset(pool)
        confirmed = rng.randint(0, len(sync))
        leader_wanted = leader
        if rng.random() < 0.2 and voters:
            leader_wanted = rng.choice(voters)  # a failover to a voter
            active = [n for n in active if n != leader_wanted]
        elif rng.random() < 0.05:
            leader_wanted = 'z'  # a failover to a node outside the voters
        case = [leader, quorum, ''.join(voters), numsync, ''.join(sync), confirmed, ''.join(active),
                sync_wanted, leader_wanted]
        key = json.dumps(case)
        if key in seen:
            continue
        seen.add(key)
        try:
            result = [[t.transition_type, t.leader, t.num, ''.join(sorted(t.names))]
                      for t in QuorumStateResolver(leader, quorum, set(voters), numsync, set(sync), confirmed,
                                                   set(active), sync_wanted, leader_wanted)]
        except Exception:  # QuorumError or a failed assertion: nothing is applied
            result = 'error'
        out.append(json.dumps(case + [result], separators=(',', ':')))
    print('\n'.join(out))


if __name__ == '__main__':
    main()
