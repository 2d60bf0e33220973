#!/bin/sh
# Writes SSH keys given in the environment (SSH_PRIVATE_RSA_KEY, SSH_PRIVATE_ECDSA_KEY,
# SSH_PRIVATE_ED25519_KEY) and SSH_KNOWN_HOSTS into ~/.ssh, then runs the given command.
# Like the agent image's script, it needs a writable HOME: `mkdir -p ~/.ssh` fails otherwise.
set -e
mkdir -p ~/.ssh
chmod 0700 ~/.ssh
write_key() {
  if [ -n "$2" ]; then
    printf '%s\n' "$2" > ~/.ssh/"$1"
    chmod 0600 ~/.ssh/"$1"
  fi
}
write_key id_rsa "${SSH_PRIVATE_RSA_KEY:-}"
write_key id_ecdsa "${SSH_PRIVATE_ECDSA_KEY:-}"
write_key id_ed25519 "${SSH_PRIVATE_ED25519_KEY:-}"
if [ -n "${SSH_KNOWN_HOSTS:-}" ]; then printf '%s\n' "$SSH_KNOWN_HOSTS" >> ~/.ssh/known_hosts; fi
exec "$@"
