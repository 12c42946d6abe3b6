#!/bin/sh
# Entrypoint of the API and worker images: when vault-init has left an AppRole
# in /run/vault-approle (docker-compose.yml mounts the vault-approle volume
# there read-only), exports it as VAULT_ROLE_ID and VAULT_SECRET_ID, the
# variables the binaries read, then runs the binary. A VAULT_TOKEN or
# VAULT_ROLE_ID set otherwise wins; without the directory nothing changes.
set -eu

dir=/run/vault-approle
if [ -z "${VAULT_TOKEN:-}" ] && [ -z "${VAULT_ROLE_ID:-}" ] && [ -r "$dir/role-id" ] && [ -r "$dir/secret-id" ]; then
  VAULT_ROLE_ID=$(cat "$dir/role-id")
  VAULT_SECRET_ID=$(cat "$dir/secret-id")
  export VAULT_ROLE_ID VAULT_SECRET_ID
fi
exec "$@"
