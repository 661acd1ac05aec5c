#!/bin/sh
# The backend of bench/gateway.sh: nginx in the foreground on 127.0.0.1:$PORT, answering every
# path with 200 and the small fixed body in the file `body` beside this script, and /healthz
# with 200 "ok". One worker: the machine has two cores, shared with the proxy in front and
# with wrk.
#
# As a lockstep handler it is a release's ./run.sh: the supervisor sets PORT and DATA_DIR and
# starts it in the release (read-only), so the configuration goes under DATA_DIR. For the
# nginx-only runs bench/gateway.sh starts it with the same two variables.
set -eu
: "${PORT:?PORT is not set}" "${DATA_DIR:?DATA_DIR is not set}"
here=$(cd "$(dirname "$0")" && pwd)
body=$(cat "$here/body")
dir=$DATA_DIR/backend-$PORT
mkdir -p "$dir"
cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/plain;
  # Connections from a proxy are long-lived: do not close them every 1,000 requests.
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  server {
    listen 127.0.0.1:$PORT;
    location = /healthz { return 200 "ok\n"; }
    location / { return 200 "$body\n"; }
  }
}
EOF
exec nginx -p "$dir/" -e "$dir/error.log" -c "$dir/nginx.conf" -g 'daemon off;'
