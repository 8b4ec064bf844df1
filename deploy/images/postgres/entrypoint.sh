#!/bin/sh
# First start: make the cluster (user `podium`; a password over the network, none on the
# container's own socket, which only `docker-compose exec` reaches) and the
# databases `podium` and `mlflow`; then run the server in the foreground.
set -eu
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD (see .env.example)}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    umask 077
    pwfile=$(mktemp)
    printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
    initdb -D "$PGDATA" -U podium --pwfile="$pwfile" --auth-local=trust \
        --auth-host=scram-sha-256 -E UTF8 --no-locale \
        > /dev/null
    rm -f "$pwfile"
    printf "listen_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
    printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
    for db in podium mlflow; do
        echo "CREATE DATABASE $db OWNER podium;" | postgres --single -D "$PGDATA" -j postgres \
            > /dev/null
    done
    echo "podium-postgres: made the cluster with the databases podium and mlflow"
fi
exec postgres -D "$PGDATA"
