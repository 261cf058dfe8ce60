#!/usr/bin/env bash
# pgha's main job on this machine: a local three-node cluster (etcd, three PostgreSQL 15 nodes
# managed by pgha, HAProxy), started, checked healthy and described.
# Stop it with: scripts/local-cluster.sh stop
set -euo pipefail
exec "$(dirname "$0")/local-cluster.sh" start
