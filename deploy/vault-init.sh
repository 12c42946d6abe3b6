#!/bin/sh
# vault-init, the one-shot service of docker-compose.yml that readies Vault for
# Reelpilot on every `make up` (each step does nothing when already done):
#  1. the first time, initialises Vault with one unseal key and keeps that key
#     and the root token in /vault/init (the vault-init volume, which no other
#     service mounts);
#  2. unseals Vault (a restarted server always starts sealed);
#  3. enables KV v2 at secret/, Transit at transit/ (with the derived key
#     "reelpilot") and AppRole at approle/, and writes the policy "reelpilot"
#     (deploy/vault-policy.hcl) and the role "reelpilot";
#  4. leaves the role id and a secret id in /vault/approle (the vault-approle
#     volume, mounted read-only by the API, the worker and migrate, whose
#     entrypoint deploy/vault-approle-env.sh exports them as VAULT_ROLE_ID and
#     VAULT_SECRET_ID).
#
# One unseal key next to the root token suits a single machine. For more,
# copy unseal-key and root-token somewhere safe, delete them from the volume
# (`docker compose run --rm --entrypoint sh vault-init`), and unseal by hand
# after each restart (`docker compose exec vault vault operator unseal`).
#
# Environment: VAULT_ADDR; APPROLE_BOUND_CIDRS, the networks the secret id and
# its tokens may be used from (the compose subnet).
set -eu

export VAULT_ADDR="${VAULT_ADDR:-http://vault:8200}"
INIT_DIR=/vault/init
APPROLE_DIR=/vault/approle
POLICY_FILE=/deploy/vault-policy.hcl
ROLE=reelpilot
TRANSIT_KEY=reelpilot
umask 077

log() { echo "vault-init: $*"; }
die() {
  echo "vault-init: $*" >&2
  exit 1
}

# `vault operator init -status`: 0 initialised, 2 not initialised, 1 no answer.
init_status() {
  rc=0
  vault operator init -status >/dev/null 2>&1 || rc=$?
  echo "$rc"
}

# `vault status`: 0 unsealed, 2 sealed, 1 no answer.
seal_status() {
  rc=0
  vault status >/dev/null 2>&1 || rc=$?
  echo "$rc"
}

tries=0
while [ "$(init_status)" = 1 ]; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || die "Vault at $VAULT_ADDR does not answer"
  sleep 1
done

# 1. Initialise (first start only).
if [ "$(init_status)" = 2 ]; then
  if [ -e "$INIT_DIR/unseal-key" ]; then
    die "Vault is not initialised but $INIT_DIR/unseal-key exists (was the vault-data volume removed?); move the old files away to start over"
  fi
  log "initialising Vault (first start)"
  vault operator init -key-shares=1 -key-threshold=1 >"$INIT_DIR/init.out"
  unseal_key=$(sed -n 's/^Unseal Key 1: //p' "$INIT_DIR/init.out")
  root_token=$(sed -n 's/^Initial Root Token: //p' "$INIT_DIR/init.out")
  if [ -z "$unseal_key" ] || [ -z "$root_token" ]; then
    die "could not read the unseal key and the root token; they are in $INIT_DIR/init.out"
  fi
  printf '%s\n' "$unseal_key" >"$INIT_DIR/unseal-key"
  printf '%s\n' "$root_token" >"$INIT_DIR/root-token"
  rm "$INIT_DIR/init.out"
  log "unseal key and root token kept in the vault-init volume"
fi

# 2. Unseal.
if [ "$(seal_status)" = 2 ]; then
  [ -s "$INIT_DIR/unseal-key" ] ||
    die "Vault is sealed and $INIT_DIR/unseal-key is missing: unseal it by hand (docker compose exec vault vault operator unseal) and run make up again"
  log "unsealing Vault"
  vault operator unseal "$(cat "$INIT_DIR/unseal-key")" >/dev/null
fi
tries=0
until [ "$(seal_status)" = 0 ]; do
  tries=$((tries + 1))
  [ "$tries" -lt 30 ] || die "Vault is still sealed or not answering"
  sleep 1
done

# 3. Mounts, policy, role. The root token is the one kept at initialisation.
[ -s "$INIT_DIR/root-token" ] || die "$INIT_DIR/root-token is missing: cannot configure Vault"
VAULT_TOKEN=$(cat "$INIT_DIR/root-token")
export VAULT_TOKEN

vault read sys/mounts/secret >/dev/null 2>&1 || vault secrets enable -path=secret kv-v2
vault read sys/mounts/transit >/dev/null 2>&1 || vault secrets enable -path=transit transit
vault read sys/auth/approle >/dev/null 2>&1 || vault auth enable -path=approle approle
vault read "transit/keys/$TRANSIT_KEY" >/dev/null 2>&1 || vault write "transit/keys/$TRANSIT_KEY" derived=true

vault policy write "$ROLE" "$POLICY_FILE"

# Tokens last an hour and are renewed by the app (logging in again after 24 h);
# the secret id does not expire, so restarts need no new one.
if [ -n "${APPROLE_BOUND_CIDRS:-}" ]; then
  vault write "auth/approle/role/$ROLE" token_policies="$ROLE" token_ttl=1h token_max_ttl=24h \
    secret_id_ttl=0 secret_id_num_uses=0 \
    secret_id_bound_cidrs="$APPROLE_BOUND_CIDRS" token_bound_cidrs="$APPROLE_BOUND_CIDRS"
else
  vault write "auth/approle/role/$ROLE" token_policies="$ROLE" token_ttl=1h token_max_ttl=24h \
    secret_id_ttl=0 secret_id_num_uses=0
fi

# 4. The AppRole for the app. A secret id kept from an earlier start is reused
# while Vault still knows it.
vault read -field=role_id "auth/approle/role/$ROLE/role-id" >"$APPROLE_DIR/role-id.new"
mv "$APPROLE_DIR/role-id.new" "$APPROLE_DIR/role-id"
if [ -s "$APPROLE_DIR/secret-id" ] &&
  vault write -field=secret_id_accessor "auth/approle/role/$ROLE/secret-id/lookup" \
    secret_id="$(cat "$APPROLE_DIR/secret-id")" >/dev/null 2>&1; then
  log "keeping the AppRole secret id"
else
  log "issuing an AppRole secret id"
  vault write -f -field=secret_id "auth/approle/role/$ROLE/secret-id" >"$APPROLE_DIR/secret-id.new"
  mv "$APPROLE_DIR/secret-id.new" "$APPROLE_DIR/secret-id"
fi
# The app images run as root; nobody else needs to read these.
chmod 0400 "$APPROLE_DIR/role-id" "$APPROLE_DIR/secret-id"
log "Vault is unsealed and ready for Reelpilot"
