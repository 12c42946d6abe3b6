# Policy "reelpilot": what the API and the worker (AppRole "reelpilot") may do
# in Vault, for platform/src/config.rs's default mounts and names:
# VAULT_KV_MOUNT=secret, VAULT_PATH_PREFIX=reelpilot, VAULT_TRANSIT_MOUNT=transit,
# VAULT_TRANSIT_KEY=reelpilot. vault-init applies it on every start.
# Token renewal and lookup (auth/token/renew-self, lookup-self) come with
# Vault's default policy.

# Organisations' secrets (LLM credentials, TikTok tokens), KV v2:
# secret/reelpilot/org/<org id>/...
path "secret/data/reelpilot/org/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/reelpilot/org/*" {
  capabilities = ["read", "delete"]
}

# Keys the API derives for itself (media link signing), created once.
path "secret/data/reelpilot/system/derived-keys/*" {
  capabilities = ["create", "read", "update"]
}

# Transit: the reelpilot key (vault-init creates it; the app creates it too
# when missing) and the three operations on it.
path "transit/keys/reelpilot" {
  capabilities = ["create", "read"]
}
path "transit/encrypt/reelpilot" {
  capabilities = ["update"]
}
path "transit/decrypt/reelpilot" {
  capabilities = ["update"]
}
path "transit/rewrap/reelpilot" {
  capabilities = ["update"]
}

# `reelpilot-api rotate-keys [--retire]`: a new key version, and retiring the
# old ones by raising min_decryption_version (nothing else of the key's
# configuration: not deletion_allowed, not exportable).
path "transit/keys/reelpilot/rotate" {
  capabilities = ["update"]
}
path "transit/keys/reelpilot/config" {
  capabilities = ["update"]
  allowed_parameters = {
    "min_decryption_version" = []
  }
}
