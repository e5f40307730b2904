#!/usr/bin/env python3
"""Loads the shipped ShapesWorld folders with Hugging Face transformers and compares with draft4j.

draft4j side: `launcher hf-crosscheck-data --out crosscheck.safetensors` (token ids, the pipeline
text encoder's last_hidden_state, the world CLIP's normalized text and image features). This script
reads the same folders from draft-shapesworld/src/main/resources with transformers' CLIPTokenizer,
CLIPTextModel and CLIPModel and prints the largest differences. Exit status 1 on a mismatch.

usage: python3 hf_crosscheck.py CROSSCHECK.safetensors RESOURCES_DIR [--patch-eos]
  --patch-eos  set bos/eos/pad token ids in the loaded configs (for folders written before draft4j
               wrote them; transformers pools CLIP's text output at eos_token_id)
"""
import json
import sys

import torch
from safetensors import safe_open
from transformers import CLIPModel, CLIPTextModel, CLIPTokenizer

data, res = sys.argv[1], sys.argv[2]
patch = "--patch-eos" in sys.argv
with safe_open(data, "pt") as f:
    meta = f.metadata()
    t = {k: f.get_tensor(k) for k in f.keys()}
prompts = json.loads(meta["prompts"])
failures = []


def check(name, got, want, tol):
    d = (got.float() - want.float()).abs().max().item()
    ok = d <= tol
    print(f"{'ok  ' if ok else 'FAIL'} {name}: max |transformers - draft4j| = {d:.3g} (tolerance {tol:g})")
    if not ok:
        failures.append(name)


def tokenizer(folder, length):
    tok = CLIPTokenizer(f"{folder}/vocab.json", f"{folder}/merges.txt", model_max_length=length)
    return tok(prompts, padding="max_length", max_length=length, truncation=True, return_tensors="pt").input_ids


def patched(model, tok):
    if patch:
        for c in [model.config] + ([model.config.text_config] if hasattr(model.config, "text_config") else []):
            c.bos_token_id, c.eos_token_id, c.pad_token_id = tok.bos_token_id, tok.eos_token_id, tok.pad_token_id
        tm = model.text_model if hasattr(model, "text_model") else model
        tm.eos_token_id = tok.eos_token_id
    return model


torch.set_grad_enabled(False)
# pipeline: tokenizer + text encoder
sw = f"{res}/shapesworld"
length = t["token_ids"].shape[1]
ids = tokenizer(f"{sw}/tokenizer", length)
check("pipeline tokenizer ids", ids, t["token_ids"].long(), 0)
tok = CLIPTokenizer(f"{sw}/tokenizer/vocab.json", f"{sw}/tokenizer/merges.txt")
te = patched(CLIPTextModel.from_pretrained(f"{sw}/text_encoder").eval(), tok)
print("text_encoder config eos_token_id:", te.config.eos_token_id)
check("pipeline text encoder last_hidden_state", te(ids).last_hidden_state, t["text_last_hidden_state"], 1e-4)

# the world CLIP
cf = f"{res}/shapesworld-clip"
cids = tokenizer(cf, t["clip_token_ids"].shape[1])
check("CLIP tokenizer ids", cids, t["clip_token_ids"].long(), 0)
ctok = CLIPTokenizer(f"{cf}/vocab.json", f"{cf}/merges.txt")
clip = patched(CLIPModel.from_pretrained(cf).eval(), ctok)
print("CLIP text_config eos_token_id:", clip.config.text_config.eos_token_id)


def feats(out):
    # transformers >= 4.5x may return a model output object instead of a tensor
    x = out if torch.is_tensor(out) else out.pooler_output
    return x / x.norm(dim=-1, keepdim=True)


check("CLIP text features", feats(clip.get_text_features(input_ids=cids)), t["clip_text_features"], 1e-4)
mean = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
std = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)
px = (t["images"] - mean) / std
check("CLIP image features", feats(clip.get_image_features(pixel_values=px)), t["clip_image_features"], 1e-4)
print(f"CLIP logit scale: transformers {clip.logit_scale.exp().item():.4f}, draft4j {float(meta['clip_logit_scale']):.4f}")
sys.exit(1 if failures else 0)
