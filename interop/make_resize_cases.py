#!/usr/bin/env python3
"""Antialiased bicubic resizes made by PIL and PyTorch, for draft4j's ClipPreprocess tests.

    /usr/bin/python3 interop/make_resize_cases.py      (Debian's python3-torch 1.13 and python3-pil 9.4)

Writes interop/fixtures/resize/ (deterministic, rebuilt from scratch):
    reference.safetensors   for each case NAME:
        NAME/out    the reference's output at the sampled rows x columns (float32)
        NAME/rows   the sampled output rows (int32): the first 8, every 3rd, the last 8 (all when small)
        NAME/cols   the same for the columns
      and, for the whole-pipeline case "pipeline_pil_crop": pipeline_pil_crop/out [3, 32, 32]
    READY
The header's metadata holds, per case, "kind h w oh ow seed" (JSON under "cases").

Inputs are not stored: each is a formula the Java test recomputes bit for bit (`image` below): a
16-bit integer hash per pixel, half of it plus half of a 0/1 stripe pattern, all exact in float32:
    v(c, i, j) = (hash16(c, i, j, seed) / 65536 + stripe(i, j)) / 2,   stripe = ((i // 3) + (j // 5)) % 2.
That is near-uniform noise with hard edges: the worst case for aliasing.

Kinds (the real library code, nothing re-implemented):
    pil         PIL.Image.fromarray(x, mode="F").resize((ow, oh), Image.BICUBIC): PIL's antialiased
                bicubic (Keys a = -0.5, support 2 * max(1, in/out), weights normalised per output pixel),
                the resize of Hugging Face's CLIPImageProcessor, OpenAI CLIP's and open_clip's
                transforms on PIL images. Mode "F" keeps float32 (no uint8 rounding).
    torch_aa    torch.nn.functional.interpolate(mode="bicubic", antialias=True, align_corners=False):
                torchvision >= 0.17's tensor resize (HPSv2's ResizeMaxSize runs on tensors). Measured:
                it uses a = -0.5 too (PIL's kernel; a = -0.75 is only its non-antialiased bicubic).
    torch       the same with antialias=False: PyTorch's plain bicubic (a = -0.75, borders replicated),
                draft4j's old ClipPreprocess resize.
Case "pipeline_pil_crop": a 3 x 60 x 80 image through CLIPImageProcessor's steps written out with PIL
(transformers is not installed): shortest edge to 32 (the long one to int(32 * 80 / 60) = 42, as
transformers' get_resize_output_image_size), PIL bicubic per channel, centre crop at
((42 - 32) // 2), then (x - mean) / std with OpenAI CLIP's constants. CLIPImageProcessor itself
converts a float image to uint8 before PIL; this keeps float32.
"""
import json
import os
import shutil
import struct

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "resize")

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)

# (kind, h, w, oh, ow, seed)
CASES = [
    ("pil", 512, 512, 224, 224, 1),
    ("pil", 256, 256, 224, 224, 2),
    ("pil", 64, 64, 224, 224, 3),
    ("pil", 512, 384, 298, 224, 4),   # CLIPImageProcessor's shortest edge: int(224 * 512 / 384) = 298
    ("pil", 200, 300, 51, 77, 5),
    ("torch_aa", 512, 512, 224, 224, 1),
    ("torch_aa", 256, 256, 224, 224, 2),
    ("torch_aa", 64, 64, 224, 224, 3),
    ("torch_aa", 512, 384, 224, 168, 4),  # HPSv2's ResizeMaxSize: round(384 * 224 / 512) = 168
    ("torch_aa", 200, 300, 51, 77, 5),
    ("torch", 512, 512, 224, 224, 1),
]


def hash16(c, i, j, seed):
    """A 16-bit integer hash in uint32 arithmetic (numpy uint64 arrays); the Java test has the same lines."""
    u = np.uint64
    m = u(0xFFFFFFFF)
    h = (i * u(73856093) + j * u(19349663) + c * u(83492791) + seed * u(2654435761)) & m
    h ^= h >> u(13)
    h = (h * u(0x5BD1E995)) & m
    h ^= h >> u(15)
    return h >> u(16)


def image(c, h, w, seed):
    i = np.arange(h, dtype=np.uint64)[:, None]
    j = np.arange(w, dtype=np.uint64)[None, :]
    hh = hash16(np.uint64(c), i, j, np.uint64(seed)).astype(np.float64)
    stripe = ((i // 3 + j // 5) % 2).astype(np.float64)
    return ((hh / 65536.0 + stripe) / 2).astype(np.float32)


def samples(n):
    if n <= 96:
        return np.arange(n, dtype=np.int32)
    idx = sorted(set(range(8)) | set(range(8, n - 8, 3)) | set(range(n - 8, n)))
    return np.array(idx, dtype=np.int32)


def resize(kind, x, oh, ow):
    if kind == "pil":
        return np.asarray(Image.fromarray(x, mode="F").resize((ow, oh), Image.BICUBIC), dtype=np.float32)
    t = torch.from_numpy(x)[None, None]
    y = F.interpolate(t, size=(oh, ow), mode="bicubic", align_corners=False, antialias=(kind == "torch_aa"))
    return y[0, 0].numpy()


_DT = {np.dtype(np.float32): "F32", np.dtype(np.int32): "I32"}


def st_write(path, tensors, metadata):
    """safetensors: 8-byte little-endian header size, JSON header (padded with spaces to 8), raw bytes."""
    header, blobs, off = {"__metadata__": metadata}, [], 0
    for k, v in tensors.items():
        b = np.ascontiguousarray(v).tobytes()
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


def main():
    torch.set_num_threads(1)
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    tensors, cases = {}, {}
    for kind, h, w, oh, ow, seed in CASES:
        name = f"{kind}_{h}x{w}_{oh}x{ow}"
        y = resize(kind, image(0, h, w, seed), oh, ow)
        assert y.shape == (oh, ow), (name, y.shape)
        rows, cols = samples(oh), samples(ow)
        tensors[name + "/out"] = np.ascontiguousarray(y[np.ix_(rows, cols)])
        tensors[name + "/rows"] = rows
        tensors[name + "/cols"] = cols
        cases[name] = f"{kind} {h} {w} {oh} {ow} {seed}"
    # CLIPImageProcessor's steps with PIL: shortest edge 60 -> 32, long 80 -> int(32 * 80 / 60) = 42, crop
    rh, rw, size = 32, int(32 * 80 / 60), 32
    top, left = (rh - size) // 2, (rw - size) // 2
    px = np.stack([(resize("pil", image(c, 60, 80, 6), rh, rw)[top:top + size, left:left + size] - np.float32(MEAN[c]))
                   / np.float32(STD[c]) for c in range(3)]).astype(np.float32)
    tensors["pipeline_pil_crop/out"] = px
    cases["pipeline_pil_crop"] = "pipeline 60 80 32 32 6"
    st_write(os.path.join(OUT, "reference.safetensors"), tensors,
             {"cases": json.dumps(cases, sort_keys=True), "torch": torch.__version__, "PIL": Image.__version__})
    with open(os.path.join(OUT, "READY"), "w") as f:
        f.write("ok\n")
    print(f"{len(cases)} cases, {os.path.getsize(os.path.join(OUT, 'reference.safetensors'))} bytes")


if __name__ == "__main__":
    main()
