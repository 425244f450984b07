#!/usr/bin/env bash
# The demo that 'sluice-local up' runs once the stack is ready: a resource group, then sessions created with the
# sluice CLI that really run on the local agent (process runtime): a batch job to its result, an interactive session
# destroyed while it runs, and a refused request — through the emulator's API Gateway with Cognito tokens, exactly as
# a client would.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
eval "$(grep '^  export SLUICE_' "$1" | sed 's/^  //')"
export SLUICE_CONFIG="$ROOT/.sluice-local/demo-cli.json"   # never touches the user's own CLI configuration
sluice() { "$ROOT/cli/sluice" "$@"; }
show() { printf '\n$ sluice'; printf ' %q' "$@"; printf '\n'; sluice "$@"; }
wait_for() { # id status...
  local id=$1; shift
  for _ in $(seq 1 120); do
    status=$(sluice session get "$id" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    for s in "$@"; do [ "$status" = "$s" ] && return 0; done
    sleep 0.5
  done
  echo "session $id did not reach $* (it is $status)" >&2; return 1
}

# 'up' made the local agent's group at its first start (an agent joins only a group that exists).
SLUICE_TOKEN=$SLUICE_ADMIN_TOKEN show resource-group get gpu-a100
SLUICE_TOKEN=$SLUICE_ADMIN_TOKEN show agent list

printf '\n$ sluice session create --name demo-train --type batch ... --command "echo training...; for e in 1 2 3; ..."\n'
sluice session create --name demo-train --type batch --group gpu-a100 --image python:3.12 --slot cpu=2 --slot mem=8g \
  --slot cuda.device=1 --command 'echo "training on GPU $CUDA_VISIBLE_DEVICES"; for e in 1 2 3; do echo "epoch $e"; sleep 4; done' \
  --batch-timeout 10m --json >"$ROOT/.sluice-local/demo-batch.json"
batch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$ROOT/.sluice-local/demo-batch.json")
echo "created batch session $batch; waiting for it to run on the local agent"
wait_for "$batch" RUNNING TERMINATED
show ps --group gpu-a100
wait_for "$batch" TERMINATED
show session get "$batch"
show session history "$batch"
show session logs "$batch"

printf '\n$ sluice session create --name demo-notebook --group gpu-a100 --image python:3.12 --slot cpu=1 --slot mem=2g\n'
sluice session create --name demo-notebook --group gpu-a100 --image python:3.12 --slot cpu=1 --slot mem=2g --json \
  >"$ROOT/.sluice-local/demo-interactive.json"
notebook=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$ROOT/.sluice-local/demo-interactive.json")
wait_for "$notebook" RUNNING
show session destroy "$notebook"
wait_for "$notebook" TERMINATED
show session history "$notebook"
show ps --dead

# Folders: data in S3, copied onto the agent's host for the session; what it writes to a writable folder is saved back.
mkdir -p "$ROOT/.sluice-local/demo-data"
printf '3 1 4 1 5 9 2 6\n' >"$ROOT/.sluice-local/demo-data/numbers.txt"
show folder create demo-data --usage-mode data --permission ro || true
show folder create demo-results || true
show folder upload demo-data "$ROOT/.sluice-local/demo-data"
printf '\n$ sluice session create --name demo-sort --type batch --mount demo-data --mount demo-results --command "sort ..."\n'
sluice session create --name demo-sort --type batch --group gpu-a100 --image python:3.12 --slot cpu=1 --slot mem=1g \
  --mount demo-data --mount demo-results \
  --command 'tr " " "\n" < "$SLUICE_MOUNT_DEMO_DATA/numbers.txt" | sort -n > "$SLUICE_MOUNT_DEMO_RESULTS/sorted.txt"; wc -l "$SLUICE_MOUNT_DEMO_RESULTS/sorted.txt"' \
  --json >"$ROOT/.sluice-local/demo-sort.json"
sorter=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$ROOT/.sluice-local/demo-sort.json")
wait_for "$sorter" TERMINATED ERROR
show session get "$sorter"
show session logs "$sorter"
show folder ls demo-results

printf '\n$ sluice session create --type batch --image python:3.12   (no command: refused)\n'
sluice session create --type batch --image python:3.12 --slot cpu=1 --slot mem=1g || true
