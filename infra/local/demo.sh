#!/usr/bin/env bash
# The demo that 'sluice-local up' runs once the stack is ready: an elastic resource group with no agent, then sessions
# created with the sluice CLI: the first one makes the fleet launch an instance into the emulator's EC2 (the session
# says 'provisioning' meanwhile), the local runtime boots an agent on it (process runtime) after the boot delay, and
# the sessions run there: a batch job to its result, an interactive session destroyed while it runs, a job with
# folders, and a refused request; then the idle agent is given back after the group's idle_duration. All through the
# emulator's API Gateway with Cognito tokens, exactly as a client would. (The launching and the retiring are the fleet
# service's, run after each scheduling pass; the hosting of instances is the local runtime's.)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=$(cd "$(dirname "$1")" && pwd)   # the state directory 'up' runs with (runtime.log is in it)
eval "$(grep '^  export SLUICE_' "$1" | sed 's/^  //')"
export SLUICE_CONFIG="$STATE/demo-cli.json"   # never touches the user's own CLI configuration
sluice() { "$ROOT/cli/sluice" "$@"; }
show() { printf '\n$ sluice'; printf ' %q' "$@"; printf '\n'; sluice "$@"; }
wait_for() { # id status...   (TRIES half-seconds, 120 unless set)
  local id=$1; shift
  for _ in $(seq 1 "${TRIES:-120}"); do
    status=$(sluice session get "$id" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    for s in "$@"; do [ "$status" = "$s" ] && return 0; done
    sleep 0.5
  done
  echo "session $id did not reach $* (it is $status)" >&2; return 1
}

# 'up' made the elastic group at its first start, with an instance catalog and no agent.
SLUICE_TOKEN=$SLUICE_ADMIN_TOKEN show resource-group get gpu-a100
SLUICE_TOKEN=$SLUICE_ADMIN_TOKEN show resource-group fleet show gpu-a100
SLUICE_TOKEN=$SLUICE_ADMIN_TOKEN show agent list --group gpu-a100

printf '\n$ sluice session create --name demo-train --type batch ... --command "echo training...; for e in 1 2 3; ..."\n'
sluice session create --name demo-train --type batch --group gpu-a100 --image python:3.12 --slot cpu=2 --slot mem=8g \
  --slot cuda.device=1 --command 'echo "training on GPU $CUDA_VISIBLE_DEVICES"; for e in 1 2 3; do echo "epoch $e"; sleep 4; done' \
  --batch-timeout 10m --json >"$STATE/demo-batch.json"
batch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$STATE/demo-batch.json")
echo "created batch session $batch: no agent has room, so the fleet launches an instance for it"
sleep 2
show ps --group gpu-a100
echo "waiting for the instance's agent to boot and the session to run on it"
TRIES=360 wait_for "$batch" RUNNING TERMINATED
SLUICE_TOKEN=$SLUICE_ADMIN_TOKEN show agent list --group gpu-a100
show ps --group gpu-a100
wait_for "$batch" TERMINATED
show session get "$batch"
show session history "$batch"
show session logs "$batch"

printf '\n$ sluice session create --name demo-notebook --group gpu-a100 --image python:3.12 --slot cpu=1 --slot mem=2g\n'
sluice session create --name demo-notebook --group gpu-a100 --image python:3.12 --slot cpu=1 --slot mem=2g --json \
  >"$STATE/demo-interactive.json"
notebook=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$STATE/demo-interactive.json")
wait_for "$notebook" RUNNING
show session destroy "$notebook"
wait_for "$notebook" TERMINATED
show session history "$notebook"
show ps --dead

# Folders: data in S3, copied onto the agent's host for the session; what it writes to a writable folder is saved back.
mkdir -p "$STATE/demo-data"
printf '3 1 4 1 5 9 2 6\n' >"$STATE/demo-data/numbers.txt"
show folder create demo-data --usage-mode data --permission ro || true
show folder create demo-results || true
show folder upload demo-data "$STATE/demo-data"
printf '\n$ sluice session create --name demo-sort --type batch --mount demo-data --mount demo-results --command "sort ..."\n'
sluice session create --name demo-sort --type batch --group gpu-a100 --image python:3.12 --slot cpu=1 --slot mem=1g \
  --mount demo-data --mount demo-results \
  --command 'tr " " "\n" < "$SLUICE_MOUNT_DEMO_DATA/numbers.txt" | sort -n > "$SLUICE_MOUNT_DEMO_RESULTS/sorted.txt"; wc -l "$SLUICE_MOUNT_DEMO_RESULTS/sorted.txt"' \
  --json >"$STATE/demo-sort.json"
sorter=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$STATE/demo-sort.json")
wait_for "$sorter" TERMINATED ERROR
show session get "$sorter"
show session logs "$sorter"
show folder ls demo-results

printf '\n$ sluice session create --type batch --image python:3.12   (no command: refused)\n'
sluice session create --type batch --image python:3.12 --slot cpu=1 --slot mem=1g || true

# Nothing left to run: after the group's idle_duration the fleet drains the idle agent and terminates its instance,
# and the local runtime stops the agent (the runtime's log says "instance i-... is gone").
idle=$(SLUICE_TOKEN=$SLUICE_ADMIN_TOKEN sluice resource-group fleet show gpu-a100 --json | python3 -c 'import json,sys; print(json.load(sys.stdin).get("idle_duration","10m"))')
echo
echo "waiting for the idle agent to be given back (idle_duration $idle)"
agents=$(grep -o 'instance i-[0-9a-f]* ([^)]*) booted' "$1" | awk '{print $2}' | sort -u)
for _ in $(seq 1 600); do
  left=""
  for a in $agents; do grep -q "instance $a is gone" "$1" || left="$left $a"; done
  [ -z "$left" ] && break
  sleep 1
done
if [ -z "$agents" ]; then
  echo "no instance was launched for the group" >&2
elif [ -n "$left" ]; then
  echo "the agents of$left were not given back within 10 minutes" >&2
else
  echo "given back:$(for a in $agents; do printf ' %s' "$a"; done)"
fi
SLUICE_TOKEN=$SLUICE_ADMIN_TOKEN show agent list --group gpu-a100
