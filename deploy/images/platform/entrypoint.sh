#!/bin/sh
# Entry point of podium/platform. A worker on another host that reaches the store over SSH
# (PODIUM_STORE_SSH=user@host:/path) mounts it first, at PODIUM_STORE_DIR, the path every host
# uses; everything else runs the command as given.
set -eu
if [ -n "${PODIUM_STORE_SSH:-}" ]; then
    key=${PODIUM_STORE_SSH_KEY:-/run/podium/store-key}
    if [ ! -r "$key" ]; then
        echo "podium: PODIUM_STORE_SSH is set but the key $key cannot be read; mount the" \
             "private key there (docs/deployment.md, 'A worker on another host')" >&2
        exit 1
    fi
    mkdir -p "$PODIUM_STORE_DIR" /root/.ssh/known
    # the store's host key is trusted on first use and kept in the known_hosts volume
    sshfs "$PODIUM_STORE_SSH" "$PODIUM_STORE_DIR" \
        -p "${PODIUM_STORE_SSH_PORT:-2222}" \
        -o IdentityFile="$key",IdentitiesOnly=yes \
        -o StrictHostKeyChecking=accept-new,UserKnownHostsFile=/root/.ssh/known/known_hosts \
        -o reconnect,ServerAliveInterval=15,ServerAliveCountMax=3 \
        -o cache=no,attr_timeout=0,entry_timeout=0 \
        || { echo "podium: could not mount the store $PODIUM_STORE_SSH over SSH" >&2; exit 1; }
    echo "podium: the store $PODIUM_STORE_SSH is mounted at $PODIUM_STORE_DIR"
fi
exec "$@"
