# Vault for docker-compose.yml: a real server (not dev mode), its data in the
# vault-data volume. It starts sealed; vault-init (deploy/vault-init.sh)
# initialises it the first time and unseals it on every start.
#
# TLS is off because no port is published: only containers on the compose
# network reach it. Give the listener a certificate (tls_cert_file,
# tls_key_file) before exposing it anywhere else.

storage "file" {
  path = "/vault/file"
}

listener "tcp" {
  address     = "0.0.0.0:8200"
  tls_disable = true
}

api_addr = "http://vault:8200"
ui       = false
