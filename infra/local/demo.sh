#!/usr/bin/env bash
# The demo that 'sluice-local up' runs once the stack is ready: a resource group, a session, and its status,
# through the emulator's API Gateway with Cognito tokens, exactly as a client would.
set -euo pipefail
eval "$(grep '^  export SLUICE_' "$1" | sed 's/^  //')"
show() { printf '\n$ %s\n' "$1"; }

show "PUT /resource-groups/gpu-a100 (admin)"
curl -sS -X PUT "$SLUICE_API/resource-groups/gpu-a100" -H "Authorization: Bearer $SLUICE_ADMIN_TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"description":"A100 hosts","scheduler":"fifo","scheduler_options":{"allowed_session_types":["interactive","batch"],"pending_timeout":"30m"}}'
show "POST /sessions (alice)"
created=$(curl -sS -X POST "$SLUICE_API/sessions" -H "Authorization: Bearer $SLUICE_TOKEN" \
  -H 'Content-Type: application/json' -H "Idempotency-Key: demo-$(date +%s)" \
  -d '{"name":"demo","type":"batch","image":"python:3.12","startup_command":"python -c \"print(42)\"","resource_slots":{"cpu":2,"mem":"8g","cuda.device":1}}')
echo "$created"
id=$(printf '%s' "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
show "GET /sessions/$id (alice)"
curl -sS "$SLUICE_API/sessions/$id" -H "Authorization: Bearer $SLUICE_TOKEN"
show "POST /sessions with a bad request (alice)"
curl -sS -X POST "$SLUICE_API/sessions" -H "Authorization: Bearer $SLUICE_TOKEN" -d '{"image":"python:3.12","type":"batch","resource_slots":{"cpu":2,"mem":"8g"}}'
echo
