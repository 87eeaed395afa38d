#!/usr/bin/env bash
# The PostgreSQL store tests (test/store/postgres-store.test.ts and the app
# wiring test) create a throwaway database on the local server at
# 127.0.0.1:5432, user postgres, trust auth. This starts the distribution's
# cluster when it is not answering. Idempotent: returns at once when it is.
set -euo pipefail

HOST=127.0.0.1
# Overridable only to try this script against a throwaway cluster.
PORT=${ENSURE_POSTGRES_PORT:-5432}
CLUSTER=${ENSURE_POSTGRES_CLUSTER:-main}

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "ensure-postgres: pg_isready is missing; install the postgresql package (the PostgreSQL store tests need a server on $HOST:$PORT)" >&2
  exit 1
fi

if pg_isready -q -h "$HOST" -p "$PORT"; then
  echo "ensure-postgres: PostgreSQL already accepting connections on $HOST:$PORT" >&2
  exit 0
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d /etc/postgresql ]; then
  echo "ensure-postgres: nothing answers on $HOST:$PORT and no Debian cluster (pg_ctlcluster, /etc/postgresql) to start; start PostgreSQL by hand" >&2
  exit 1
fi

# The newest installed major version, e.g. 15.
VERSION=$(ls /etc/postgresql | sort -V | tail -n 1)
if [ -z "$VERSION" ]; then
  echo "ensure-postgres: /etc/postgresql holds no cluster; create one with pg_createcluster" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "ensure-postgres: nothing answers on $HOST:$PORT; starting cluster $VERSION/$CLUSTER" >&2
$SUDO pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$CLUSTER" start

for _ in $(seq 1 30); do
  if pg_isready -q -h "$HOST" -p "$PORT"; then
    echo "ensure-postgres: PostgreSQL $VERSION/$CLUSTER started and accepting connections on $HOST:$PORT" >&2
    exit 0
  fi
  sleep 1
done
echo "ensure-postgres: started cluster $VERSION/$CLUSTER but $HOST:$PORT still does not answer after 30 s; see /var/log/postgresql/postgresql-$VERSION-$CLUSTER.log" >&2
exit 1
