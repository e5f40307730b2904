#!/usr/bin/env python3
"""draft4j interop fixture generator (see interop/README.md for set-up, versions and the file catalogue).

Writes tiny checkpoints in the formats users actually have, made with the real PyTorch / diffusers /
open_clip (HPSv2's vendored copy) code, plus reference outputs those libraries compute, under
interop/fixtures/. Deterministic (fixed seeds); rerunnable (each group folder is rebuilt from scratch).

    python3 interop/make_fixtures.py [--only sd-tiny,aesthetic,open_clip]

Environment (paths outside the repository, see README):
    PYTHONPATH     must start with  $SCRATCH/shim:$DIFFUSERS_SRC:$DIFREF_STUBS  (diffusers v0.25.1 + shims)
    D4J_DIFFUSERS_V0292   diffusers v0.29.2 export (root, has src/ and scripts/)  [sharding + ldm script]
    D4J_HFHUB_SRC         huggingface_hub v0.23.4 src/                              [sharding]
    D4J_SHIM              the scratch shim folder (safetensors shim, ftfy stub)
    D4J_HPSV2             a folder holding HPSv2's `hpsv2/` package (hpsv2/src/open_clip)
"""
import argparse
import collections
import copy
import gzip
import importlib.util
import io
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import textwrap

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from clip_vocab import byte_vocab

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures")
SOURCES = os.environ.get("D4J_SOURCES", os.path.expanduser("~/d4j-fixture-sources"))  # the README's $S
ENV = {
    "v0292": os.environ.get("D4J_DIFFUSERS_V0292", os.path.join(SOURCES, "diffusers-v0.29.2")),
    "hfhub": os.environ.get("D4J_HFHUB_SRC", os.path.join(SOURCES, "hfhub-v0.23.4", "src")),
    "shim": os.environ.get("D4J_SHIM", os.path.join(SOURCES, "shim")),
    "hpsv2": os.environ.get("D4J_HPSV2", os.path.join(SOURCES, "hps")),
    "tfstub": os.environ.get("D4J_TRANSFORMERS_STUB", os.path.join(SOURCES, "tfstub")),
}
PRECISION = collections.OrderedDict()  # file -> {tensor: max rel diff f32 vs f64}


# ----------------------------------------------------------------------------------------- shims
# Import-only stand-ins / a safetensors shim, written outside the repository with --write-shims DIR
# (DIR/shim: safetensors shim backed by a pure-python reader/writer + dist-info so diffusers sees it,
#  ftfy / clint / turtle import stubs for HPSv2's open_clip; DIR/tfstub: a `transformers` import stub used
#  only to import diffusers' convert_from_ckpt.py for the round-trip self-check).
SHIM_FILES = {
    'shim/clint/__init__.py': '"""Import-only stand-in for clint (HPSv2 imports clint.textui.progress for download bars)."""\n',
    'shim/clint/textui.py': '"""Import-only stand-in."""\nclass progress:\n    @staticmethod\n    def bar(it, *a, **k):\n        return it\n',
    'shim/ftfy/__init__.py': '"""Import-only stand-in for ftfy: fix_text is the identity (fixture text is plain ASCII)."""\ndef fix_text(text, *a, **k):\n    return text\n',
    'shim/safetensors-0.4.1.dist-info/METADATA': 'Metadata-Version: 2.1\nName: safetensors\nVersion: 0.4.1\nSummary: local shim backed by st_io (draft4j interop fixture generator), not the real package\n',
    'shim/safetensors/__init__.py': '"""Minimal local stand-in for the `safetensors` package (draft4j interop/make_fixtures.py scratch shim).\nImplements safetensors.torch.save_file/load_file and safe_open on top of a pure-python writer/reader."""\n__version__ = "0.4.1"\nimport json, struct\nimport numpy as np\nimport torch as _pt\n\nclass SafetensorError(Exception):\n    pass\n\n_T2S = {_pt.float32: "F32", _pt.float64: "F64", _pt.float16: "F16", _pt.bfloat16: "BF16",\n        _pt.int64: "I64", _pt.int32: "I32", _pt.int16: "I16", _pt.int8: "I8", _pt.uint8: "U8", _pt.bool: "BOOL"}\n_S2T = {v: k for k, v in _T2S.items()}\n_S2NP = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "BF16": "<i2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}\n\ndef _to_bytes(t):\n    t = t.detach().cpu().contiguous()\n    if t.dtype == _pt.bfloat16:\n        a = t.view(_pt.int16).numpy()\n    else:\n        a = t.numpy()\n    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes(order="C")\n\ndef serialize(tensors, metadata=None):\n    header, blobs, off = {}, [], 0\n    if metadata:\n        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}\n    # the real safetensors sorts tensors by (dtype alignment desc, name) when laying out data\n    for name in sorted(tensors.keys(), key=lambda n: (-tensors[n].element_size(), n)):\n        t = tensors[name]\n        b = _to_bytes(t)\n        header[name] = {"dtype": _T2S[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}\n        blobs.append(b); off += len(b)\n    h = json.dumps(header, separators=(",", ":")).encode("utf-8")\n    h += b" " * (-len(h) % 8)\n    return struct.pack("<Q", len(h)) + h + b"".join(blobs)\n\ndef _read(path):\n    with open(path, "rb") as f:\n        buf = f.read()\n    (n,) = struct.unpack("<Q", buf[:8])\n    header = json.loads(buf[8:8 + n].decode("utf-8"))\n    meta = header.pop("__metadata__", None)\n    data = memoryview(buf)[8 + n:]\n    out = {}\n    for name, info in header.items():\n        b, e = info["data_offsets"]\n        a = np.frombuffer(data[b:e], dtype=_S2NP[info["dtype"]]).reshape(info["shape"]).copy()\n        t = _pt.from_numpy(a)\n        if info["dtype"] == "BF16":\n            t = t.view(_pt.bfloat16)\n        out[name] = t\n    return out, meta\n\nclass safe_open:\n    def __init__(self, filename, framework="pt", device="cpu"):\n        self._t, self._m = _read(filename)\n    def __enter__(self):\n        return self\n    def __exit__(self, *a):\n        return False\n    def keys(self):\n        return list(self._t.keys())\n    def metadata(self):\n        return self._m\n    def get_tensor(self, name):\n        return self._t[name]\n\nfrom . import torch as _torch_mod  # noqa\n',
    'shim/safetensors/torch.py': 'from . import serialize, _read\n\ndef save_file(tensors, filename, metadata=None):\n    with open(filename, "wb") as f:\n        f.write(serialize(tensors, metadata))\n\ndef save(tensors, metadata=None):\n    return serialize(tensors, metadata)\n\ndef load_file(filename, device="cpu"):\n    return _read(filename)[0]\n',
    'shim/turtle.py': '"""Import-only stand-in: HPSv2 open_clip/factory.py has a stray `from turtle import forward`."""\ndef forward(*a, **k):\n    raise RuntimeError("turtle stub")\n',
    'tfstub/transformers-4.36.2.dist-info/METADATA': 'Metadata-Version: 2.1\nName: transformers\nVersion: 4.36.2\nSummary: import-only stub (draft4j fixture check), not the real package\n',
    'tfstub/transformers/__init__.py': '"""Import-only stand-in for `transformers` (draft4j fixture check): any attribute is a dummy class.\nLets diffusers\' pipelines/stable_diffusion/convert_from_ckpt.py be imported for its pure state-dict\nconversion functions; nothing here computes anything."""\n__version__ = "0.0.0+stub"\n\n\ndef __getattr__(name):\n    if name.startswith("__"):\n        raise AttributeError(name)\n    cls = type(name, (object,), {"__init__": lambda self, *a, **k: None})\n    globals()[name] = cls\n    return cls\n',
    'tfstub/transformers/activations.py': 'ACT2FN = {}\n',
    'tfstub/transformers/modeling_outputs.py': 'class BaseModelOutput:\n    pass\n',
    'tfstub/transformers/utils.py': 'import logging as _l\n\n\nclass logging:\n    get_logger = staticmethod(_l.getLogger)\n\n\ndef __getattr__(name):\n    if name.startswith("__"):\n        raise AttributeError(name)\n    return f"<stub {name}>"\n',
}


def write_shims(root):
    for rel, text in SHIM_FILES.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    print(f"[make_fixtures] shims written under {root}/shim and {root}/tfstub")


# ----------------------------------------------------------------------------------------- safetensors I/O
# Own minimal writer (same layout as the real library: header JSON, tensors sorted by (alignment desc, name)).
_T2S = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
        torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
        torch.bool: "BOOL"}
_S2NP = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "BF16": "<i2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
         "I8": "i1", "U8": "u1", "BOOL": "?"}


def st_write(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors, key=lambda n: (-tensors[n].element_size(), n)):
        t = tensors[name].detach().cpu().contiguous()
        a = t.view(torch.int16).numpy() if t.dtype == torch.bfloat16 else t.numpy()
        b = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
        header[name] = {"dtype": _T2S[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def st_read(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    data = memoryview(buf)[8 + n:]
    out = collections.OrderedDict()
    for name, info in header.items():
        b, e = info["data_offsets"]
        t = torch.from_numpy(np.frombuffer(data[b:e], dtype=_S2NP[info["dtype"]]).reshape(info["shape"]).copy())
        out[name] = t.view(torch.bfloat16) if info["dtype"] == "BF16" else t
    return out


def write_json(path, obj):
    """diffusers/transformers style: indent 2, sorted keys, trailing newline."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def fresh(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)
    return path


def ready(folder):
    with open(os.path.join(folder, "READY"), "w") as f:
        f.write("complete\n")
    print(f"[make_fixtures] READY {os.path.relpath(folder, HERE)}")


def relmax(a32, a64):
    """max |a32 - a64| / max |a64| (max-norm relative difference)."""
    a32, a64 = a32.double(), a64.double()
    return float((a32 - a64).abs().max() / a64.abs().max().clamp_min(1e-300))


def record(file, name, a32, a64):
    assert torch.isfinite(a32).all() and torch.isfinite(a64).all(), (file, name)
    PRECISION.setdefault(file, collections.OrderedDict())[name] = relmax(a32, a64)


# ----------------------------------------------------------------------------------------- random weights
def redraw(module, gen, emb_std=None):
    """Re-draw every parameter: matrices/convs N(0, 1/fan_in); norm weights 1 + N(0, 0.1^2);
    other 1-d params (biases, norm biases, class embeddings) N(0, 0.1^2); embedding tables N(0, emb_std^2)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            r = torch.randn(p.shape, generator=gen, dtype=torch.float32)
            if emb_std is not None and ("embedding" in name and p.ndim == 2):
                p.copy_(r * emb_std)
            elif p.ndim >= 2:
                p.copy_(r / math.sqrt(p[0].numel()))
            elif ("norm" in name or ".ln_" in name or name.startswith("ln_") or "layer_norm" in name) \
                    and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * r)
            else:
                p.copy_(0.1 * r)
    return module


# ----------------------------------------------------------------------------------------- tiny CLIP BPE
N_MERGES = 486  # 256 bytes + 256 bytes</w> + 486 merges + 2 specials = 1000 tokens


def tiny_bpe():
    """(header line, merges) from the first N_MERGES merges of OpenAI's bpe_simple_vocab_16e6.txt.gz."""
    src = os.path.join(ENV["hpsv2"], "hpsv2", "src", "open_clip", "bpe_simple_vocab_16e6.txt.gz")
    lines = gzip.open(src).read().decode("utf-8").split("\n")
    return lines[0], lines[1:1 + N_MERGES]


def write_tiny_bpe_gz(path):
    header, merges = tiny_bpe()
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(("\n".join([header] + merges)).encode("utf-8"))


PROMPTS = ["a photo of a cat", "an oil painting of the sea at night, high quality"]


def open_clip_tokenizer_module():
    """HPSv2's vendored open_clip tokenizer module, pointed at the truncated 486-merge BPE file."""
    sys.path.insert(0, ENV["hpsv2"])
    sys.path.insert(0, ENV["shim"])  # ftfy stub
    from hpsv2.src.open_clip import tokenizer as tok_mod
    gz = os.path.join("/tmp", "d4j_bpe_tiny_486.txt.gz")
    write_tiny_bpe_gz(gz)
    tok_mod._tokenizer = tok_mod.SimpleTokenizer(gz)
    assert tok_mod._tokenizer.vocab_size == 1000, tok_mod._tokenizer.vocab_size
    return tok_mod


# ----------------------------------------------------------------------------------------- CLIP text (own)
class _Emb(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.token_embedding = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.position_embedding = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])

    def forward(self, ids):
        pos = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        return self.token_embedding(ids) + self.position_embedding(pos)


class _Attn(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.h = c["num_attention_heads"]
        self.hd = d // self.h
        self.scale = self.hd ** -0.5
        self.k_proj, self.v_proj, self.q_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x, mask):
        b, t, d = x.shape
        q = (self.q_proj(x) * self.scale).view(b, t, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.h, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.h, self.hd).transpose(1, 2)
        w = torch.softmax(q @ k.transpose(-1, -2) + mask, dim=-1)
        return self.out_proj((w @ v).transpose(1, 2).reshape(b, t, d))


class _MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc1 = nn.Linear(c["hidden_size"], c["intermediate_size"])
        self.fc2 = nn.Linear(c["intermediate_size"], c["hidden_size"])

    def forward(self, x):
        x = self.fc1(x)
        return self.fc2(x * torch.sigmoid(1.702 * x))  # quick_gelu


class _Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = _Attn(c)
        self.layer_norm1 = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.mlp = _MLP(c)
        self.layer_norm2 = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class _Enc(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList([_Layer(c) for _ in range(c["num_hidden_layers"])])


class _TextTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = _Emb(c)
        self.encoder = _Enc(c)
        self.final_layer_norm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class CLIPTextModelRef(nn.Module):
    """transformers (4.3x) CLIPTextModel forward, re-implemented; parameter names are transformers'."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.text_model = _TextTransformer(c)

    def forward(self, ids):
        tm = self.text_model
        x = tm.embeddings(ids)
        t = ids.shape[1]
        mask = torch.full((t, t), torch.finfo(x.dtype).min, dtype=x.dtype).triu(1)[None, None]
        for layer in tm.encoder.layers:
            x = layer(x, mask)
        x = tm.final_layer_norm(x)
        eos = (ids == self.c["eos_token_id"]).int().argmax(dim=-1)  # first eos (eos_token_id != 2 branch)
        return x, x[torch.arange(x.shape[0]), eos]


TEXT_CFG = {
    "architectures": ["CLIPTextModel"], "attention_dropout": 0.0, "bos_token_id": 998, "dropout": 0.0,
    "eos_token_id": 999, "hidden_act": "quick_gelu", "hidden_size": 64, "initializer_factor": 1.0,
    "initializer_range": 0.02, "intermediate_size": 128, "layer_norm_eps": 1e-05, "max_position_embeddings": 77,
    "model_type": "clip_text_model", "num_attention_heads": 1, "num_hidden_layers": 2, "pad_token_id": 999,
    "projection_dim": 64, "torch_dtype": "float32", "transformers_version": "4.36.2", "vocab_size": 1000,
}


def save_text_encoder(model, folder, dtype=torch.float32, variant=None, fmt="safetensors"):
    """As transformers' save_pretrained writes a CLIPTextModel (config.json + model[.variant].safetensors
    with metadata {"format": "pt"}, or pytorch_model[.variant].bin via torch.save)."""
    os.makedirs(folder, exist_ok=True)
    cfg = dict(TEXT_CFG, torch_dtype={torch.float32: "float32", torch.float16: "float16"}[dtype])
    write_json(os.path.join(folder, "config.json"), cfg)
    sd = collections.OrderedDict((k, v.detach().to(dtype).contiguous()) for k, v in model.state_dict().items())
    v = f".{variant}" if variant else ""
    if fmt == "safetensors":
        st_write(os.path.join(folder, f"model{v}.safetensors"), sd, {"format": "pt"})
    else:
        torch.save(sd, os.path.join(folder, f"pytorch_model{v}.bin"))
    return sd


def write_tokenizer(folder):
    os.makedirs(folder, exist_ok=True)
    header, merges = tiny_bpe()
    vocab = byte_vocab(merges)
    assert len(vocab) == 1000
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:  # CLIPTokenizer.save_vocabulary
        f.write(json.dumps(vocab, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for m in merges:
            f.write(m + "\n")
    tok = {"add_prefix_space": False, "bos_token": "<|startoftext|>", "clean_up_tokenization_spaces": True,
           "do_lower_case": True, "eos_token": "<|endoftext|>", "errors": "replace", "model_max_length": 77,
           "pad_token": "<|endoftext|>", "tokenizer_class": "CLIPTokenizer", "unk_token": "<|endoftext|>"}
    write_json(os.path.join(folder, "tokenizer_config.json"), tok)
    write_json(os.path.join(folder, "special_tokens_map.json"),
               {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
                "unk_token": "<|endoftext|>"})


# ----------------------------------------------------------------------------------------- sd-tiny
UNET_KW = dict(sample_size=16, in_channels=4, out_channels=4,
               down_block_types=["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
               up_block_types=["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
               block_out_channels=[8, 8, 8, 8], layers_per_block=2, attention_head_dim=8,
               norm_num_groups=4, cross_attention_dim=64)
VAE_KW = dict(in_channels=3, out_channels=3, down_block_types=["DownEncoderBlock2D"] * 4,
              up_block_types=["UpDecoderBlock2D"] * 4, block_out_channels=[8, 8, 8, 16], layers_per_block=2,
              latent_channels=4, norm_num_groups=4, sample_size=64, scaling_factor=0.18215)
SCHED_CFG = {"beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False,
             "num_train_timesteps": 1000, "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1,
             "trained_betas": None, "prediction_type": "epsilon", "timestep_spacing": "leading"}
MODEL_INDEX = {"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.25.1",
               "feature_extractor": [None, None], "requires_safety_checker": False, "safety_checker": [None, None],
               "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
               "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
               "vae": ["diffusers", "AutoencoderKL"]}


def rounded(model, dtype):
    """float32 copy of `model` whose weights are rounded through `dtype`."""
    m = copy.deepcopy(model)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(p.to(dtype).float())
    return m


def stable(fn):
    """diffusers v0.25.1 Attention.get_attention_scores calls torch.baddbmm(torch.empty(...), q, k^T, beta=0):
    on CPU torch 1.13 a NaN/Inf in the uninitialized buffer can leak through (NaN*0). Finite garbage is
    multiplied away, so a finite result is the exact one; retry until two runs are finite and identical."""
    def run(*a, **k):
        prev = None
        for _ in range(20):
            out = fn(*a, **k)
            if torch.isfinite(out).all():
                if prev is not None and torch.equal(prev, out):
                    return out
                prev = out
        raise RuntimeError("no two identical finite runs")
    return run


@stable
def unet_fwd(unet, inp, dtype=torch.float32):
    unet = copy.deepcopy(unet) if dtype != torch.float32 else unet
    u = unet.to(dtype)
    out = u(inp["unet_sample"].to(dtype), inp["unet_timestep"].to(dtype), inp["unet_context"].to(dtype)).sample
    unet.float()
    return out


@stable
def vae_fwd(vae, inp, dtype=torch.float32):
    vae = copy.deepcopy(vae) if dtype != torch.float32 else vae
    out = vae.to(dtype).decode(inp["vae_latents"].to(dtype)).sample
    vae.float()
    return out


def text_fwd(te, inp, dtype=torch.float32):
    te = copy.deepcopy(te) if dtype != torch.float32 else te
    h, p = te.to(dtype)(inp["text_ids"])
    te.float()
    return h, p


def references(unet, vae, te, inp, fname, parts=("unet", "vae", "text")):
    """f32 outputs (returned) and f64 recomputation (recorded in PRECISION)."""
    out = collections.OrderedDict()
    with torch.no_grad():
        if "unet" in parts:
            for k in ("unet_sample", "unet_timestep", "unet_context"):
                out[k] = inp[k]
            out["unet_out"] = unet_fwd(unet, inp)
            record(fname, "unet_out", out["unet_out"], unet_fwd(unet, inp, torch.float64))
        if "vae" in parts:
            out["vae_latents"] = inp["vae_latents"]
            out["vae_decoded"] = vae_fwd(vae, inp)
            record(fname, "vae_decoded", out["vae_decoded"], vae_fwd(vae, inp, torch.float64))
        if "text" in parts:
            out["text_ids"] = inp["text_ids"]
            out["text_hidden"], out["text_pooled"] = text_fwd(te, inp)
            h64, p64 = text_fwd(te, inp, torch.float64)
            record(fname, "text_hidden", out["text_hidden"], h64)
            record(fname, "text_pooled", out["text_pooled"], p64)
    return out


def write_pipeline_extras(folder):
    write_tokenizer(os.path.join(folder, "tokenizer"))
    from diffusers import PNDMScheduler
    PNDMScheduler.from_config(SCHED_CFG).save_pretrained(os.path.join(folder, "scheduler"))
    write_json(os.path.join(folder, "model_index.json"), MODEL_INDEX)


def run_py(code, pythonpath, args=()):
    env = dict(os.environ, PYTHONPATH=pythonpath, HF_HUB_OFFLINE="1", DIFFUSERS_NO_ADVISORY_WARNINGS="1")
    subprocess.run([sys.executable, "-c", code, *args], check=True, env=env)


SHARD_CODE = textwrap.dedent(r'''
    import json, os, sys, shutil
    import torch
    from safetensors.torch import load_file, save_file
    from diffusers import UNet2DConditionModel, __version__
    from huggingface_hub import split_torch_state_dict_into_shards
    src, dst, unet_max, te_max = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    assert __version__ == "0.29.2", __version__
    # UNet: diffusers v0.29.2 ModelMixin.save_pretrained(max_shard_size=...)
    unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(os.path.join(src, "unet")))
    unet.load_state_dict(load_file(os.path.join(src, "unet", "diffusion_pytorch_model.safetensors")))
    unet.save_pretrained(os.path.join(dst, "unet"), max_shard_size=unet_max)
    # text encoder: huggingface_hub's split_torch_state_dict_into_shards + the index transformers writes
    te_dir = os.path.join(dst, "text_encoder"); os.makedirs(te_dir)
    shutil.copy(os.path.join(src, "text_encoder", "config.json"), te_dir)
    sd = load_file(os.path.join(src, "text_encoder", "model.safetensors"))
    split = split_torch_state_dict_into_shards(sd, filename_pattern="model{suffix}.safetensors", max_shard_size=te_max)
    assert split.is_sharded
    for fn, names in split.filename_to_tensors.items():
        save_file({n: sd[n].contiguous() for n in names}, os.path.join(te_dir, fn), metadata={"format": "pt"})
    index = {"metadata": split.metadata, "weight_map": split.tensor_to_filename}
    with open(os.path.join(te_dir, "model.safetensors.index.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")
''')


def make_sd_tiny():
    from diffusers import AutoencoderKL, UNet2DConditionModel
    import diffusers
    assert diffusers.__version__ == "0.25.1", diffusers.__version__
    root = fresh(os.path.join(FIX, "sd-tiny"))
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1234)
    unet = redraw(UNet2DConditionModel(**UNET_KW), gen).eval()
    vae = redraw(AutoencoderKL(**VAE_KW), gen).eval()
    te = redraw(CLIPTextModelRef(TEXT_CFG), gen, emb_std=0.5).eval()
    unet_ema = redraw(UNet2DConditionModel(**UNET_KW), gen).eval()

    tok = open_clip_tokenizer_module()
    ids = tok.tokenize(PROMPTS)  # bos + bpe ids + eos, zero padded (open_clip) ...
    for i in range(ids.shape[0]):  # ... re-padded with eos as SD 1.x's CLIPTokenizer pads
        n = int((ids[i] == 999).nonzero()[0]) + 1
        ids[i, n:] = 999
    g2 = torch.Generator().manual_seed(42)
    inp = collections.OrderedDict(
        unet_sample=torch.randn(2, 4, 16, 16, generator=g2),
        unet_timestep=torch.tensor([999.0, 500.0]),
        unet_context=torch.randn(2, 77, 64, generator=g2),
        vae_latents=torch.randn(1, 4, 8, 8, generator=g2),
        text_ids=ids)

    # diffusers/ (F32, safetensors)
    d = os.path.join(root, "diffusers")
    unet.save_pretrained(os.path.join(d, "unet"))
    vae.save_pretrained(os.path.join(d, "vae"))
    save_text_encoder(te, os.path.join(d, "text_encoder"))
    write_pipeline_extras(d)
    ref = references(unet, vae, te, inp, "sd-tiny/reference.safetensors")
    st_write(os.path.join(root, "reference.safetensors"), ref,
             {"prompts": json.dumps(PROMPTS), "note": "see interop/README.md"})

    # single-file LDM checkpoints with diffusers' own conversion script (v0.29.2 copy, unmodified)
    script = os.path.join(ENV["v0292"], "scripts", "convert_diffusers_to_original_stable_diffusion.py")
    env = dict(os.environ, PYTHONPATH=ENV["shim"])
    subprocess.run([sys.executable, script, "--model_path", d, "--checkpoint_path",
                    os.path.join(root, "ldm.safetensors"), "--use_safetensors"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, script, "--model_path", d, "--checkpoint_path",
                    os.path.join(root, "ldm.ckpt")], check=True, env=env, stdout=subprocess.DEVNULL)
    ckpt = torch.load(os.path.join(root, "ldm.ckpt"), map_location="cpu")
    # (the legacy, non-zip torch.save format is covered by make_torch_cases.py's small files)

    # EMA: LDM LitEma names for a second UNet, converted with the same script's convert_unet_state_dict
    sys.path.insert(0, ENV["shim"])
    spec = importlib.util.spec_from_file_location("d2o", script)
    d2o = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(d2o)
    ema_ldm = d2o.convert_unet_state_dict(unet_ema.state_dict())
    sd = ckpt["state_dict"]
    new = collections.OrderedDict()
    for k, v in sd.items():
        if k.startswith("model.diffusion_model."):
            new[k] = v
    new["model_ema.decay"] = torch.tensor(0.9999, dtype=torch.float32)
    new["model_ema.num_updates"] = torch.tensor(12345, dtype=torch.int32)
    for k, v in ema_ldm.items():
        new["model_ema." + "".join(("diffusion_model." + k).split("."))] = v.contiguous()
    for k, v in sd.items():
        if not k.startswith("model.diffusion_model."):
            new[k] = v
    torch.save({"state_dict": new}, os.path.join(root, "ldm-ema.ckpt"))
    r = references(unet_ema, None, None, inp, "sd-tiny/reference_ema.safetensors", parts=("unet",))
    st_write(os.path.join(root, "reference_ema.safetensors"), r)

    # fp16/ (variant="fp16"), reference from fp16-rounded weights in f32
    d16 = os.path.join(root, "fp16")
    copy.deepcopy(unet).half().save_pretrained(os.path.join(d16, "unet"), variant="fp16")
    copy.deepcopy(vae).half().save_pretrained(os.path.join(d16, "vae"), variant="fp16")
    save_text_encoder(te, os.path.join(d16, "text_encoder"), dtype=torch.float16, variant="fp16")
    write_pipeline_extras(d16)
    r = references(rounded(unet, torch.float16), rounded(vae, torch.float16), rounded(te, torch.float16), inp,
                   "sd-tiny/reference_fp16.safetensors")
    st_write(os.path.join(root, "reference_fp16.safetensors"), r)

    # bf16/ (unet only, no variant)
    copy.deepcopy(unet).to(torch.bfloat16).save_pretrained(os.path.join(root, "bf16", "unet"))
    r = references(rounded(unet, torch.bfloat16), None, None, inp, "sd-tiny/reference_bf16.safetensors",
                   parts=("unet",))
    st_write(os.path.join(root, "reference_bf16.safetensors"), r)

    # sharded/ (real sharding code in a v0.29.2 + huggingface_hub v0.23.4 subprocess)
    ds = os.path.join(root, "sharded")
    os.makedirs(ds)
    run_py(SHARD_CODE, f"{ENV['shim']}:{ENV['v0292']}/src:{ENV['hfhub']}", (d, ds, str(150_000), str(150_000)))
    shutil.copytree(os.path.join(d, "vae"), os.path.join(ds, "vae"))
    write_pipeline_extras(ds)

    # bin/ (safe_serialization=False; torch.save zip)
    db = os.path.join(root, "bin")
    unet.save_pretrained(os.path.join(db, "unet"), safe_serialization=False)
    vae.save_pretrained(os.path.join(db, "vae"), safe_serialization=False)
    save_text_encoder(te, os.path.join(db, "text_encoder"), fmt="bin")
    write_pipeline_extras(db)

    # self-checks: every format holds the same weights
    check_sd_tiny(root, unet, vae, te, unet_ema)
    ready(root)


def check_sd_tiny(root, unet, vae, te, unet_ema):
    ldm_st = st_read(os.path.join(root, "ldm.safetensors"))
    ldm_ck = torch.load(os.path.join(root, "ldm.ckpt"), map_location="cpu")["state_dict"]
    ema = torch.load(os.path.join(root, "ldm-ema.ckpt"), map_location="cpu")["state_dict"]
    assert set(ldm_ck) == set(ldm_st)
    for k in ldm_ck:
        assert torch.equal(ldm_ck[k], ldm_st[k]) and torch.equal(ldm_ck[k], ema[k]), k
    n_unet = sum(k.startswith("model.diffusion_model.") for k in ldm_ck)
    assert sum(k.startswith("model_ema.") for k in ema) == n_unet + 2
    assert len(ldm_ck) == len(unet.state_dict()) + len(vae.state_dict()) + len(te.state_dict())
    for sub, model in (("unet", unet), ("text_encoder", te)):
        idx = json.load(open(os.path.join(root, "sharded", sub, [f for f in os.listdir(os.path.join(root, "sharded", sub)) if f.endswith("index.json")][0])))
        files = sorted(set(idx["weight_map"].values()))
        assert len(files) >= 2, files
        got = {}
        for f in files:
            got.update(st_read(os.path.join(root, "sharded", sub, f)))
        ref = model.state_dict()
        assert set(got) == set(ref) and all(torch.equal(got[k], ref[k]) for k in ref), sub
    b = torch.load(os.path.join(root, "bin", "unet", "diffusion_pytorch_model.bin"), map_location="cpu")
    assert all(torch.equal(b[k], v) for k, v in unet.state_dict().items())
    # round trip through diffusers v0.25.1's own single-file loader code (convert_from_ckpt.py), EMA included
    if os.path.isdir(ENV["tfstub"]):
        run_py(ROUNDTRIP_CODE, ":".join([ENV["shim"], ENV["tfstub"], os.environ.get("PYTHONPATH", "")]), (root,))
    print("[make_fixtures] sd-tiny self-checks ok")


ROUNDTRIP_CODE = textwrap.dedent(r'''
    import os, sys, torch
    from safetensors.torch import load_file
    from diffusers import UNet2DConditionModel, AutoencoderKL
    from diffusers.pipelines.stable_diffusion.convert_from_ckpt import (
        convert_ldm_unet_checkpoint, convert_ldm_vae_checkpoint)
    root = sys.argv[1]
    d = os.path.join(root, "diffusers")
    ucfg = dict(UNet2DConditionModel.load_config(os.path.join(d, "unet")))
    vcfg = dict(AutoencoderKL.load_config(os.path.join(d, "vae")))
    unet = load_file(os.path.join(d, "unet", "diffusion_pytorch_model.safetensors"))
    vae = load_file(os.path.join(d, "vae", "diffusion_pytorch_model.safetensors"))
    def same(a, b, what):
        assert set(a) == set(b), (what, sorted(set(a) ^ set(b))[:5])
        for k in a:
            assert torch.equal(a[k], b[k].reshape(a[k].shape)) and a[k].shape == b[k].shape, (what, k)
    for f in ("ldm.safetensors", "ldm.ckpt", "ldm-ema.ckpt"):
        p = os.path.join(root, f)
        ck = load_file(p) if f.endswith(".safetensors") else torch.load(p, map_location="cpu")["state_dict"]
        same(unet, convert_ldm_unet_checkpoint(dict(ck), ucfg, extract_ema=False), f + ":unet")
        same(vae, convert_ldm_vae_checkpoint(dict(ck), vcfg), f + ":vae")
    ck = torch.load(os.path.join(root, "ldm-ema.ckpt"), map_location="cpu")["state_dict"]
    ema = convert_ldm_unet_checkpoint(dict(ck), ucfg, extract_ema=True)
    m = UNet2DConditionModel.from_config(ucfg)
    m.load_state_dict(ema)
    ref = load_file(os.path.join(root, "reference_ema.safetensors"))
    with torch.no_grad():
        for _ in range(20):
            out = m(ref["unet_sample"], ref["unet_timestep"], ref["unet_context"]).sample
            if torch.isfinite(out).all():
                break
    assert torch.allclose(out, ref["unet_out"], rtol=0, atol=1e-6), float((out - ref["unet_out"]).abs().max())
    print("[make_fixtures] convert_from_ckpt round trip ok (ldm*.safetensors/ckpt, EMA)")
''')


# ----------------------------------------------------------------------------------------- aesthetic
class MLP(nn.Module):
    """christophschuhmann/improved-aesthetic-predictor simple_inference.py's MLP (layers only)."""

    def __init__(self, input_size, xcol="emb", ycol="avg_rating"):
        super().__init__()
        self.input_size = input_size
        self.xcol = xcol
        self.ycol = ycol
        self.layers = nn.Sequential(
            nn.Linear(self.input_size, 1024),
            # nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(1024, 128),
            # nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(128, 64),
            # nn.ReLU(),
            nn.Dropout(0.1),
            nn.Linear(64, 16),
            # nn.ReLU(),
            nn.Linear(16, 1),
        )

    def forward(self, x):
        return self.layers(x)


AES_D = 16


def make_aesthetic():
    root = fresh(os.path.join(FIX, "aesthetic"))
    torch.manual_seed(7)
    model = MLP(AES_D)
    gen = torch.Generator().manual_seed(77)
    redraw(model, gen).eval()
    torch.save(model.state_dict(), os.path.join(root, "head.pth"))
    emb = torch.randn(4, AES_D, generator=gen)
    emb = emb / emb.norm(dim=-1, keepdim=True)  # normalized() in simple_inference.py (L2)
    with torch.no_grad():
        scores = model(emb)
        s64 = model.double()(emb.double())
    model.float()
    record("aesthetic/reference.safetensors", "scores", scores, s64)
    st_write(os.path.join(root, "reference.safetensors"), collections.OrderedDict(embeddings=emb, scores=scores))
    ready(root)


# ----------------------------------------------------------------------------------------- open_clip (HPSv2)
OC_CFG = {"embed_dim": 16,
          "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "head_width": 64, "patch_size": 8},
          "text_cfg": {"context_length": 77, "vocab_size": 1000, "width": 64, "heads": 1, "layers": 2}}


def make_open_clip():
    root = fresh(os.path.join(FIX, "open_clip"))
    tok = open_clip_tokenizer_module()
    import hpsv2.src.open_clip as oc
    from hpsv2.src.open_clip import factory
    factory._MODEL_CONFIGS["d4j-tiny"] = OC_CFG
    torch.manual_seed(11)
    model, _, preprocess_val = oc.create_model_and_transforms(
        "d4j-tiny", None, precision="amp", device="cpu", jit=False, force_quick_gelu=False,
        force_custom_text=False, force_patch_dropout=False, force_image_size=None, pretrained_image=False,
        image_mean=None, image_std=None, light_augmentation=True, aug_cfg={}, output_dict=True,
        with_score_predictor=False, with_region_predictor=False)
    gen = torch.Generator().manual_seed(111)
    redraw(model, gen, emb_std=0.5)
    with torch.no_grad():
        model.logit_scale.fill_(math.log(1 / 0.07))
    # HPS_v2_compressed.pt layout (as img_score.py reads it: checkpoint['state_dict'] straight into the model)
    sd = collections.OrderedDict((k, v.detach().half()) for k, v in model.state_dict().items())
    torch.save({"state_dict": sd}, os.path.join(root, "hps-tiny.pt"))
    write_json(os.path.join(root, "model_config.json"), OC_CFG)

    # load exactly as img_score.score() does
    model2, _, preprocess_val = oc.create_model_and_transforms(
        "d4j-tiny", None, precision="amp", device="cpu", jit=False, force_quick_gelu=False,
        force_custom_text=False, force_patch_dropout=False, force_image_size=None, pretrained_image=False,
        image_mean=None, image_std=None, light_augmentation=True, aug_cfg={}, output_dict=True,
        with_score_predictor=False, with_region_predictor=False)
    model2.load_state_dict(torch.load(os.path.join(root, "hps-tiny.pt"), map_location="cpu")["state_dict"])
    model2.eval()
    g2 = torch.Generator().manual_seed(222)
    images = torch.rand(2, 3, 48, 40, generator=g2)
    # preprocess_val (light_augmentation=True, as img_score.py builds it) is
    #   Compose[_convert_to_rgb_or_rgba (PIL), ToTensor (PIL->[0,1] tensor), ResizeMaxSize(32), MaskAwareNormalize]
    # The images here are already [0,1] RGB tensors, i.e. ToTensor's output: run the tensor steps as they are.
    names = [getattr(t, "__name__", type(t).__name__) for t in preprocess_val.transforms]
    assert names == ["_convert_to_rgb_or_rgba", "ToTensor", "ResizeMaxSize", "MaskAwareNormalize"], names
    steps = preprocess_val.transforms[2:]
    import torchvision
    import torchvision.transforms as T
    import torchvision.transforms.functional as TF
    from hpsv2.src.open_clip import transform as oc_transform
    from hpsv2.src.open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD

    def apply(img, antialias=None):
        orig = oc_transform.F.resize
        if antialias is not None:
            oc_transform.F.resize = lambda *a, **k: orig(*a, antialias=antialias, **k)
        try:
            x = img
            for t in steps:
                x = t(x)
            return x
        finally:
            oc_transform.F.resize = orig

    pv = torch.stack([apply(im) for im in images])  # torchvision 0.14: tensor resize antialias=None -> off
    pv_aa = torch.stack([apply(im, True) for im in images])  # what torchvision >= 0.17 (antialias default on) gives
    cc = T.Compose([T.Resize(32, interpolation=T.InterpolationMode.BICUBIC, antialias=True), T.CenterCrop(32),
                    T.Normalize(OPENAI_DATASET_MEAN, OPENAI_DATASET_STD)])
    pv_cc = torch.stack([cc(im) for im in images])
    text = tok.tokenize(PROMPTS)
    with torch.no_grad():
        out = model2(pv, text)
        imf, txf = out["image_features"], out["text_features"]
        hps = torch.diagonal(imf @ txf.T)
        ls = out["logit_scale"]
        m64 = model2.double()
        o64 = m64(pv.double(), text)
        i64, t64 = o64["image_features"], o64["text_features"]
        h64 = torch.diagonal(i64 @ t64.T)
        model2.float()
        assert torch.allclose(imf, model2.encode_image(pv, normalize=True))
        assert torch.allclose(txf, model2.encode_text(text, normalize=True))
        imf_cc = model2.encode_image(pv_cc, normalize=True)
    f = "open_clip/reference.safetensors"
    record(f, "image_features", imf, i64)
    record(f, "text_features", txf, t64)
    record(f, "hps_score", hps, h64)
    st_write(os.path.join(root, "reference.safetensors"), collections.OrderedDict(
        images=images, pixel_values=pv, pixel_values_antialias=pv_aa, pixel_values_centercrop=pv_cc,
        image_features=imf, image_features_centercrop=imf_cc, text_ids=text, text_features=txf,
        logit_scale=ls.reshape(()).float(), hps_score=hps),
        {"prompts": json.dumps(PROMPTS), "torchvision": torchvision.__version__})
    ready(root)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="sd-tiny,aesthetic,open_clip")
    ap.add_argument("--write-shims", metavar="DIR", help="write the shims/stubs under DIR and exit")
    args = ap.parse_args()
    if args.write_shims:
        write_shims(args.write_shims)
        return
    os.makedirs(FIX, exist_ok=True)
    torch.set_num_threads(1)  # deterministic reductions
    groups = args.only.split(",")
    if "sd-tiny" in groups:
        make_sd_tiny()
    if "aesthetic" in groups:
        make_aesthetic()
    if "open_clip" in groups:
        make_open_clip()
    pf = os.path.join(FIX, "precision.json")
    old = json.load(open(pf)) if os.path.exists(pf) else {}
    old.update(PRECISION)
    write_json(pf, old)
    print(json.dumps(PRECISION, indent=1))


if __name__ == "__main__":
    main()
