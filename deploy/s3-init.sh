#!/bin/sh
# s3-setup, the one-shot service of docker-compose.yml that readies MinIO for
# Reelpilot on every `make up`: the bucket, and the app's own user (the
# S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY the API and worker use) holding only
# the policy "reelpilot" (deploy/minio-policy.json: that bucket's objects).
# The root user stays the operator's. Each step does nothing when already done.
#
# Environment: MINIO_ROOT_USER, MINIO_ROOT_PASSWORD, APP_ACCESS_KEY_ID,
# APP_SECRET_ACCESS_KEY.
set -eu

: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${APP_ACCESS_KEY_ID:?}" "${APP_SECRET_ACCESS_KEY:?}"
BUCKET=reelpilot # S3_BUCKET in docker-compose.yml; deploy/minio-policy.json names it too
POLICY=reelpilot

if [ "$APP_ACCESS_KEY_ID" = "$MINIO_ROOT_USER" ]; then
  echo "s3-setup: STACK_S3_ACCESS_KEY_ID must differ from STACK_MINIO_ROOT_USER (the app gets its own user)" >&2
  exit 1
fi

mc alias set local http://s3:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
mc mb --ignore-existing "local/$BUCKET"
mc admin policy create local "$POLICY" /deploy/minio-policy.json
mc admin user add local "$APP_ACCESS_KEY_ID" "$APP_SECRET_ACCESS_KEY"
if ! out=$(mc admin policy attach local "$POLICY" --user "$APP_ACCESS_KEY_ID" 2>&1); then
  case $out in
    *already*) ;;
    *)
      echo "$out" >&2
      exit 1
      ;;
  esac
fi
echo "s3-setup: bucket $BUCKET and its user are ready"
