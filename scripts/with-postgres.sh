#!/usr/bin/env bash
# Runs a command with a PostgreSQL for the store tests: `scripts/with-postgres.sh COMMAND [ARGS...]`.
#
# When REFCAT_TEST_PG_URL is already set, that server is used and the command simply runs. Otherwise:
# Debian's postgresql is installed if missing (apt-get, through sudo when not root), a throw-away cluster
# is created in a temporary folder and started on 127.0.0.1 (a free port, or $PG_PORT), the command runs
# with REFCAT_TEST_PG_URL pointing at it, and the cluster is stopped and deleted however the command ends.
# The exit status is the command's (pytest's 5, "no tests collected", included).
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi
if [ -n "${REFCAT_TEST_PG_URL:-}" ]; then
  exec "$@"
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "installing Debian's postgresql"
  SUDO=$( [ "$(id -u)" = 0 ] || echo sudo )
  $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q postgresql
fi
PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
PG_DIR=$(mktemp -d /tmp/refcat-pg.XXXXXX)
PG_PORT=${PG_PORT:-$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")}
AS_PG=()
if [ "$(id -u)" = 0 ]; then  # initdb refuses to run as root
  chown postgres "$PG_DIR"
  AS_PG=(runuser -u postgres --)
fi

stop_server() {
  if [ -f "$PG_DIR/data/postmaster.pid" ]; then
    "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_DIR"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${AS_PG[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U refcat --auth=trust -E UTF8 >/dev/null
if ! "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1" \
  -l "$PG_DIR/log" -w start >/dev/null; then
  cat "$PG_DIR/log" >&2
  exit 1
fi
export REFCAT_TEST_PG_URL="postgresql+psycopg2://refcat@127.0.0.1:$PG_PORT/postgres"
echo "PostgreSQL for tests at $REFCAT_TEST_PG_URL"

status=0
"$@" || status=$?
exit "$status"
