#!/usr/bin/env python3
"""A tiny Hugging Face CLIPModel folder in three weight forms, for draft4j's ClipModel.load tests.

    /usr/bin/python3 interop/make_clip_bin.py      (torch >= 1.6; Debian's python3-torch 1.13 suffices)

Writes interop/fixtures/clip-bin/ (deterministic, rebuilt from scratch):
    bin/          config.json, vocab.json, merges.txt, pytorch_model.bin          (torch.save, zip format)
    bin-sharded/  the same, weights in pytorch_model-0000{1,2}-of-00002.bin + pytorch_model.bin.index.json
    safetensors/  the same, weights in model.safetensors (written by the minimal writer below)
All three hold the same tensors bit for bit. Keys, shapes and dtypes are those of transformers'
CLIPModel.state_dict() (text_model.*, vision_model.*, visual_projection, text_projection, logit_scale,
and the int64 position_ids buffers older transformers versions save); transformers itself is not
needed: the tensors are laid out by hand from its modeling_clip.py names.
"""
import collections
import json
import math
import os
import shutil
import struct

import torch

from clip_vocab import byte_vocab

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "clip-bin")

TEXT = dict(hidden_size=8, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2,
            max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5)
VISION = dict(hidden_size=8, intermediate_size=16, num_hidden_layers=2, num_attention_heads=2, image_size=8,
              patch_size=4, hidden_act="quick_gelu", layer_norm_eps=1e-5)
PROJ = 6


def state_dict(vocab_size, gen):
    sd = collections.OrderedDict()

    def t(*shape, std=None):
        r = torch.randn(*shape, generator=gen)
        return r * (std if std is not None else 1 / math.sqrt(shape[-1] if len(shape) > 1 else 10))

    def layer(prefix, d, ff):
        for n in ("k_proj", "v_proj", "q_proj", "out_proj"):
            sd[f"{prefix}self_attn.{n}.weight"] = t(d, d)
            sd[f"{prefix}self_attn.{n}.bias"] = t(d, std=0.1)
        sd[f"{prefix}layer_norm1.weight"] = 1 + t(d, std=0.1)
        sd[f"{prefix}layer_norm1.bias"] = t(d, std=0.1)
        sd[f"{prefix}mlp.fc1.weight"] = t(ff, d)
        sd[f"{prefix}mlp.fc1.bias"] = t(ff, std=0.1)
        sd[f"{prefix}mlp.fc2.weight"] = t(d, ff)
        sd[f"{prefix}mlp.fc2.bias"] = t(d, std=0.1)
        sd[f"{prefix}layer_norm2.weight"] = 1 + t(d, std=0.1)
        sd[f"{prefix}layer_norm2.bias"] = t(d, std=0.1)

    d, L = TEXT["hidden_size"], TEXT["max_position_embeddings"]
    sd["text_model.embeddings.token_embedding.weight"] = t(vocab_size, d, std=0.5)
    sd["text_model.embeddings.position_embedding.weight"] = t(L, d, std=0.5)
    sd["text_model.embeddings.position_ids"] = torch.arange(L, dtype=torch.int64).reshape(1, L)
    for i in range(TEXT["num_hidden_layers"]):
        layer(f"text_model.encoder.layers.{i}.", d, TEXT["intermediate_size"])
    sd["text_model.final_layer_norm.weight"] = 1 + t(d, std=0.1)
    sd["text_model.final_layer_norm.bias"] = t(d, std=0.1)
    v, p = VISION["hidden_size"], VISION["patch_size"]
    n = (VISION["image_size"] // p) ** 2 + 1
    sd["vision_model.embeddings.class_embedding"] = t(v, std=0.5)
    sd["vision_model.embeddings.patch_embedding.weight"] = t(v, 3, p, p) / math.sqrt(3 * p)
    sd["vision_model.embeddings.position_embedding.weight"] = t(n, v, std=0.5)
    sd["vision_model.embeddings.position_ids"] = torch.arange(n, dtype=torch.int64).reshape(1, n)
    sd["vision_model.pre_layrnorm.weight"] = 1 + t(v, std=0.1)
    sd["vision_model.pre_layrnorm.bias"] = t(v, std=0.1)
    for i in range(VISION["num_hidden_layers"]):
        layer(f"vision_model.encoder.layers.{i}.", v, VISION["intermediate_size"])
    sd["vision_model.post_layernorm.weight"] = 1 + t(v, std=0.1)
    sd["vision_model.post_layernorm.bias"] = t(v, std=0.1)
    sd["visual_projection.weight"] = t(PROJ, v)
    sd["text_projection.weight"] = t(PROJ, d)
    sd["logit_scale"] = torch.tensor(math.log(1 / 0.07))
    return sd


_DT = {torch.float32: "F32", torch.int64: "I64"}


def st_write(path, tensors):
    """safetensors: 8-byte little-endian header size, JSON header (padded with spaces to 8), raw bytes."""
    header, blobs, off = {}, [], 0
    for k, v in tensors.items():
        b = v.contiguous().numpy().tobytes()
        header[k] = {"dtype": _DT[v.dtype], "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def folder(name, voc):
    path = os.path.join(OUT, name)
    os.makedirs(path)
    cfg = {"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": PROJ,
           "logit_scale_init_value": 2.6592,
           "text_config": dict(TEXT, vocab_size=len(voc), bos_token_id=voc["<|startoftext|>"],
                               eos_token_id=voc["<|endoftext|>"], pad_token_id=voc["<|endoftext|>"]),
           "vision_config": dict(VISION, projection_dim=PROJ)}
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(path, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(voc, f, ensure_ascii=False)
    with open(os.path.join(path, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n")
    return path


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    voc = byte_vocab()
    sd = state_dict(len(voc), torch.Generator().manual_seed(2024))
    torch.save(sd, os.path.join(folder("bin", voc), "pytorch_model.bin"))
    sharded = folder("bin-sharded", voc)
    keys = list(sd)
    parts = [keys[: len(keys) // 2], keys[len(keys) // 2:]]
    weight_map = {}
    for i, part in enumerate(parts):
        name = f"pytorch_model-{i + 1:05d}-of-{len(parts):05d}.bin"
        torch.save(collections.OrderedDict((k, sd[k]) for k in part), os.path.join(sharded, name))
        weight_map.update({k: name for k in part})
    with open(os.path.join(sharded, "pytorch_model.bin.index.json"), "w") as f:
        total = sum(v.numel() * v.element_size() for v in sd.values())
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    st_write(os.path.join(folder("safetensors", voc), "model.safetensors"), sd)
    back = torch.load(os.path.join(OUT, "bin", "pytorch_model.bin"))
    assert list(back) == keys and all(torch.equal(back[k], sd[k]) for k in keys)
    print(f"[make_clip_bin] {len(sd)} tensors -> {os.path.relpath(OUT, HERE)}")


if __name__ == "__main__":
    main()
