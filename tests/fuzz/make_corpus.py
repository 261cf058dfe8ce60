#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/<target>/) from the fixtures: the
seed configurations, the captured Patroni 3.0.2 etcd dump and the REST requests of the captured
samples. The corpora are committed; run this again only when the fixtures change."""
import hashlib
import os
import pathlib
import re

here = pathlib.Path(__file__).resolve().parent
root = here.parent.parent
fixtures = root / "tests" / "fixtures"
RS, US, GS = "\x1e", "\x1f", "\x1d"


def write(target, data):
    d = here / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    (d / hashlib.sha1(raw).hexdigest()).write_bytes(raw)


def dump_states():
    text = (fixtures / "reference" / "patroni-3.0.2-dcs-layout.txt").read_text()
    states, keys, in_keys, pending = [], None, False, None
    for line in text.splitlines():
        if line.startswith("## State"):
            keys = {}
            states.append(keys)
            in_keys = False
        elif keys is not None and line.startswith("$ ETCDCTL_API=3 etcdctl --endpoints") \
                and "get --prefix /" in line:
            in_keys, pending = True, None
        elif in_keys and not line:
            in_keys = False
        elif in_keys and pending is None:
            pending = line
        elif in_keys:
            keys[pending], pending = line, None
    return states


def records(keys):
    prefix = "/service/anchor/"
    return RS.join(k[len(prefix):] + US + v for k, v in sorted(keys.items()))


configs = sorted(fixtures.glob("seed-configs/*.yml")) + sorted((root / "examples").glob("**/*.yml"))
for path in configs:
    write("fuzz_config_yaml", path.read_text())

states = dump_states()
for keys in states:
    write("fuzz_dcs_codec", records(keys))
    write("fuzz_ctl_output", records(keys))
    for k, v in keys.items():
        write("fuzz_dcs_codec", records({k: v}))

requests = [
    "GET /", "GET /primary", "GET /leader", "GET /master", "GET /replica", "GET /read-write",
    "GET /replica?lag=1MB", "GET /replica?tag_nofailover=true", "GET /read-only",
    "GET /standby-leader", "GET /standby_leader", "GET /sync", "GET /synchronous",
    "GET /async", "GET /asynchronous", "GET /health", "GET /patroni", "GET /cluster",
    "GET /history", "GET /config", "GET /metrics", "GET /liveness", "GET /readiness",
    "GET /failsafe", "GET /read-only-sync", "GET /quorum", "GET /replica?lag=16384&replication_state=streaming",
    "HEAD /primary", "OPTIONS /replica", "DELETE /switchover", "DELETE /restart", "POST /reload",
]
bodies = [
    ("POST /switchover", '{"leader":"pg1","candidate":"pg2"}'),
    ("POST /switchover", '{"leader":"pg1","candidate":"pg2","scheduled_at":"2026-11-22T03:10:00+00:00"}'),
    ("POST /failover", '{"candidate":"pg3"}'),
    ("POST /restart", '{"schedule":"2026-11-22T03:10:00+01:00","role":"primary","postgres_version":"15.4","timeout":"30s"}'),
    ("POST /restart", '{}'),
    ("POST /reinitialize", '{"force":true}'),
    ("PATCH /config", '{"ttl":20,"postgresql":{"parameters":{"max_connections":"101"}}}'),
    ("PATCH /config", '{"pause":true}'),
    ("PUT /config", '{"ttl":30,"loop_wait":10,"retry_timeout":10,"synchronous_mode":true}'),
    ("POST /failsafe", '{"name":"pg1","conn_url":"postgres://127.0.0.1:5432/postgres","api_url":"http://127.0.0.1:8008/patroni"}'),
]
for r in requests:
    write("fuzz_rest_request", r + "\n\n")
for line, body in bodies:
    write("fuzz_rest_request", f"{line}\nContent-Type: application/json\nContent-Length: {len(body)}\n\n{body}")
    write("fuzz_rest_request", f"{line}\nAuthorization: Basic dXNlcjpwYXNz\n\n{body}")
write("fuzz_rest_request", "GET /cluster\n\n" + GS + records(states[1]))
write("fuzz_rest_request", "GET /patroni\n\n" + GS + records(states[5]))
