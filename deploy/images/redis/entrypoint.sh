#!/bin/sh
# Redis with a password (from REDIS_PASSWORD, written to a private config file, never on the
# command line) and an append-only file in /data.
set -eu
: "${REDIS_PASSWORD:?set REDIS_PASSWORD (see .env.example)}"
umask 077
conf=/data/redis.conf
cat > "$conf" <<CONF
bind * -::*
port 6379
dir /data
appendonly yes
requirepass $REDIS_PASSWORD
CONF
exec redis-server "$conf"
