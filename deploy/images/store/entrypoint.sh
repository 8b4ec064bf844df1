#!/bin/sh
# The host key is made once and kept in the volume at /etc/ssh/keys, so that workers that
# trusted it on first use keep trusting it; the workers' public keys come from
# PODIUM_STORE_AUTHORIZED_KEYS (one or more lines).
set -eu
: "${PODIUM_STORE_AUTHORIZED_KEYS:?set PODIUM_STORE_AUTHORIZED_KEYS to the workers' public keys (docs/deployment.md)}"
umask 077
[ -f /etc/ssh/keys/ssh_host_ed25519_key ] \
    || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/keys/ssh_host_ed25519_key
printf '%s\n' "$PODIUM_STORE_AUTHORIZED_KEYS" > /etc/ssh/keys/authorized_keys
ssh-keygen -l -f /etc/ssh/keys/ssh_host_ed25519_key.pub | sed 's/^/podium-store: host key /'
exec /usr/sbin/sshd -D -e
