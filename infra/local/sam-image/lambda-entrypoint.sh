#!/bin/sh
# The image's entrypoint, as the managed base images have it: `docker run IMAGE <handler>` runs the function under
# the Runtime Interface Emulator (listening on :8080); inside Lambda (AWS_LAMBDA_RUNTIME_API set) the runtime alone.
# `sam local` does not use it: it starts /var/rapid/aws-lambda-rie itself, which runs /var/runtime/bootstrap.
if [ $# -ne 1 ]; then
  echo "lambda-entrypoint.sh: give the handler (Class::method) as the only argument" >&2
  exit 142
fi
export _HANDLER="$1"
if [ -z "${AWS_LAMBDA_RUNTIME_API:-}" ]; then
  exec /usr/local/bin/aws-lambda-rie /var/runtime/bootstrap
fi
exec /var/runtime/bootstrap
