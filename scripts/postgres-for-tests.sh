# Sourced by .ci/run: installs Debian's PostgreSQL if missing, starts a throw-away
# cluster on 127.0.0.1 and exports REFCAT_TEST_PG_URL for the store tests.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  SUDO=$( [ "$(id -u)" = 0 ] || echo sudo )
  $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q postgresql
fi
PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
PG_DIR=$(mktemp -d /tmp/refcat-pg.XXXXXX)
PG_PORT=${PG_PORT:-$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")}
if [ "$(id -u)" = 0 ]; then
  chown postgres "$PG_DIR"
  AS_PG="runuser -u postgres --"
else
  AS_PG=""
fi
$AS_PG "$PG_BIN/initdb" -D "$PG_DIR/data" -U refcat --auth=trust -E UTF8 >/dev/null
$AS_PG "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1" -l "$PG_DIR/log" -w start >/dev/null
export REFCAT_TEST_PG_URL="postgresql+psycopg2://refcat@127.0.0.1:$PG_PORT/postgres"
trap '$AS_PG "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true' EXIT
echo "PostgreSQL for tests at $REFCAT_TEST_PG_URL"
