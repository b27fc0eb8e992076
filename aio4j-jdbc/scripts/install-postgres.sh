#!/usr/bin/env bash
# Installs the PostgreSQL server binaries that the aio4j-jdbc tests start (Debian's postgresql-15, else the
# distribution's default postgresql), if /usr/lib/postgresql/*/bin/initdb is missing. Needs root (apt-get).
# Called by the tests' PostgresServer when it finds no server binaries; safe to run by hand; does nothing if present.
# No cluster is created or started: the tests run their own server in a temporary directory.
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-postgres.sh: PostgreSQL server binaries are missing and installing them needs root (apt-get)." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Debian's package would create and start a 'main' cluster on port 5432; the tests need none.
mkdir -p /etc/postgresql-common
if ! grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf; then
  echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
fi
apt-get update -q
apt-get install -y -q --no-install-recommends postgresql-15 \
  || apt-get install -y -q --no-install-recommends postgresql
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
