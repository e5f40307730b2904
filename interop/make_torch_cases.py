#!/usr/bin/python3
"""Writes interop/fixtures/torch/ and interop/fixtures/malicious/ with real PyTorch (torch.save).

Run with Debian's interpreter, which has torch 1.13:  /usr/bin/python3 interop/make_torch_cases.py
Deterministic: fixed seeds; the legacy format's storage keys (str(storage._cdata), a pointer that
changes every run) are renamed to fixed pointer-like numbers through a pickle_module wrapper that
torch.save calls exactly as it calls the pickle module, so every other byte is torch's own.
No payload is ever run: the malicious objects are classes whose __reduce__ *returns* a callable and
its arguments (pickling never calls them), or opcodes written by hand.
"""
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
GOOD = os.path.join(ROOT, "torch")
BAD = os.path.join(ROOT, "malicious")


# ---- a pickle_module for torch.save that renames the legacy storage keys deterministically ----
class _Renamer:
    def __init__(self):
        self.names = {}
        self.nbytes = {}
        self.numel = {}

    def name(self, key):
        if key not in self.names:
            self.names[key] = str(94_000_000_000_000 + 4096 * (len(self.names) * 7 % 101 + 1))
        return self.names[key]


class _StableKeys:
    """Stands in for the pickle module in torch.save(..., pickle_module=...): same bytes, stable keys."""

    __name__ = "pickle"

    def __init__(self):
        renamer = _Renamer()
        self.renamer = renamer

        class Pickler:
            def __init__(self, f, protocol=None):
                self.f, self.protocol, self.persistent_id = f, protocol, None

            def dump(self, obj):
                outer = self

                class P(pickle.Pickler):
                    def persistent_id(self, o):
                        r = outer.persistent_id(o)
                        if isinstance(r, tuple) and r and r[0] == "storage":
                            r = (r[0], r[1], renamer.name(r[2])) + r[3:]
                            renamer.numel[r[2]] = r[4]
                            renamer.nbytes[r[2]] = r[4] * r[1]().element_size()
                        return r

                P(self.f, protocol=self.protocol).dump(obj)

        self.Pickler = Pickler

    def dump(self, obj, f, protocol=None):
        if isinstance(obj, list) and obj and all(isinstance(k, str) and k.isdigit() for k in obj):
            obj = [self.renamer.name(k) for k in obj]  # the storage key list
            self.key_list, self.key_list_bytes = obj, pickle.dumps(obj, protocol=protocol)
        pickle.dump(obj, f, protocol=protocol)

    def canonical_order(self, path):
        """Rewrites the key list and the storages after it in the renamed keys' order (torch wrote them
        in the order of the original pointer keys, which changes every run); torch.load takes any order."""
        if not hasattr(self, "key_list"):
            return
        raw = open(path, "rb").read()
        tail = sum(8 + self.renamer.nbytes[k] for k in self.key_list)
        start = len(raw) - tail - len(self.key_list_bytes)
        assert raw[start:len(raw) - tail] == self.key_list_bytes
        blocks, at = {}, len(raw) - tail
        for k in self.key_list:
            n = 8 + self.renamer.nbytes[k]
            assert struct.unpack("<q", raw[at:at + 8])[0] == self.renamer.numel[k], k
            blocks[k], at = raw[at:at + n], at + n
        order = sorted(self.key_list, key=int)
        with open(path, "wb") as f:
            f.write(raw[:start] + pickle.dumps(order, protocol=2) + b"".join(blocks[k] for k in order))


def save(obj, path, legacy):
    if legacy:
        m = _StableKeys()
        torch.save(obj, path, pickle_module=m, _use_new_zipfile_serialization=False)
        m.canonical_order(path)
    else:
        torch.save(obj, path)


# ---- a pure-Python safetensors writer (little-endian, header padded with spaces to 8 bytes) ----
def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for k, t in tensors.items():
        t = t.detach().contiguous()
        a = t.numpy()
        dt = {np.float32: "F32", np.float64: "F64"}[a.dtype.type]
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[k] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    header["__metadata__"] = {"format": "pt", "written_by": "interop/make_torch_cases.py"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def expected_of(state):
    """The state dict's tensors as float32 (float64 stays float64), for exact comparison."""
    out = OrderedDict()
    for k, v in state.items():
        if isinstance(v, torch.Tensor):
            v = v.detach()
            out[k] = v.double() if v.dtype == torch.float64 else v.float()
    return out


# ---- the good cases ----
def dtype_case():
    g = torch.Generator().manual_seed(1)
    base = torch.randn(4, 5, generator=g)
    big = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    shared = torch.arange(10, dtype=torch.float32) * 0.5
    t = OrderedDict()
    t["f32"] = base.clone()
    t["f16"] = (base * 3).half()
    t["bf16"] = (base * 7).bfloat16()
    t["f64"] = base.double() / 3
    t["i64"] = torch.tensor([-(2 ** 40), -1, 0, 1, 2 ** 40], dtype=torch.int64)
    t["i32"] = torch.tensor([[-70000, 5], [70000, -1]], dtype=torch.int32)
    t["i16"] = torch.tensor([-32768, 0, 32767], dtype=torch.int16)
    t["i8"] = torch.tensor([-128, -1, 0, 127], dtype=torch.int8)
    t["u8"] = torch.tensor([0, 1, 200, 255], dtype=torch.uint8)
    t["bool"] = torch.tensor([True, False, True])
    t["transposed"] = big.t()  # shape (6, 4), stride (1, 6): not contiguous
    t["slice"] = big[1:3, 2:5]  # storage offset 8, stride (6, 1)
    t["shared_a"] = shared[2:6]  # these two share one storage
    t["shared_b"] = shared.view(2, 5)
    t["param"] = torch.nn.Parameter(torch.tensor([[1.5, -2.25]]), requires_grad=True)
    t["empty"] = torch.zeros(0, 3)
    t["scalar"] = torch.tensor(2.5)
    t["scalar_i64"] = torch.tensor(-9, dtype=torch.int64)
    t["expanded"] = torch.tensor([1.0, 2.0, 3.0]).expand(2, 3)  # stride (0, 1)
    return t


def lightning_case():
    torch.manual_seed(2)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4), torch.nn.Linear(4, 2))
    sd = model.state_dict()  # a real OrderedDict with its _metadata attribute
    obj = {
        "state_dict": sd,
        "epoch": 3,
        "global_step": 7,
        "optimizer": None,
        "numpy_step": np.int64(7),  # Lightning-style: numpy.core.multiarray.scalar + numpy.dtype + _codecs.encode
        "best_score": np.float64(0.125),
        "hyper_parameters": {"lr": 1e-4, "betas": (0.9, 0.999), "name": "tiny", "flags": {1, 2}, "blob": b"\x00\xff"},
        "loss_history": [torch.tensor(0.5), torch.tensor(0.25)],
    }
    return obj, sd


def large_case():
    g = torch.Generator().manual_seed(3)
    t = OrderedDict()
    t["big.weight"] = torch.randn(130, 130, generator=g)  # 67,600 bytes: more than 64 KB
    t["big.bias"] = torch.randn(130, generator=g).half()
    return t


def write_zip64(src, dst):
    """Rewrites a torch zip file with CPython's zipfile writing ZIP64 past 4,000 bytes (its limits patched):
    ZIP64 local-header offsets in the central headers of the later entries, a ZIP64 end record and locator,
    as in the 4-8 GB checkpoints torch writes, at a few KB. (Lower limits also put sizes in ZIP64 fields,
    which torch's own reader, miniz, then refuses.) torch.load reads the result; the check below makes sure."""
    entries = zip_entries(src)
    saved = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 4000, 0
    try:
        write_zip(dst, entries)
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = saved
    a, b = torch.load(src), torch.load(dst)
    assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a), dst
    raw = open(dst, "rb").read()
    assert b"PK\x06\x06" in raw and b"PK\x06\x07" in raw, "no ZIP64 end record"
    assert raw.count(b"\xff\xff\xff\xff") >= 2, "no saturated central-header offset"


def write_good():
    os.makedirs(GOOD, exist_ok=True)
    d = dtype_case()
    obj, sd = lightning_case()
    big = large_case()
    for legacy in (False, True):
        fmt = "legacy" if legacy else "zip"
        save(d, os.path.join(GOOD, f"dtypes_{fmt}.pt"), legacy)
        save(obj, os.path.join(GOOD, f"lightning_{fmt}.pt"), legacy)
    save(big, os.path.join(GOOD, "large_zip.pt"), False)
    write_zip64(os.path.join(GOOD, "dtypes_zip.pt"), os.path.join(GOOD, "dtypes_zip64.pt"))
    write_safetensors(os.path.join(GOOD, "dtypes.expected.safetensors"), expected_of(d))
    write_safetensors(os.path.join(GOOD, "lightning.expected.safetensors"), expected_of(sd))
    write_safetensors(os.path.join(GOOD, "large.expected.safetensors"), expected_of(big))


# ---- the malicious and broken cases ----
def marker(case):
    return "/tmp/draft4j-pwned-" + case


class OsSystem:
    def __init__(self, case):
        self.case = case

    def __reduce__(self):
        return (os.system, ("touch " + marker(self.case),))  # pickled as GLOBAL 'posix system'


class SubprocessCall:
    def __init__(self, case):
        self.case = case

    def __reduce__(self):
        return (subprocess.call, (["touch", marker(self.case)],))


class BuiltinsEval:
    def __init__(self, case):
        self.case = case

    def __reduce__(self):
        return (eval, ("open('" + marker(self.case) + "','w')",))


def small_tensors():
    return OrderedDict([("w", torch.tensor([[1.0, 2.0], [3.0, 4.0]])), ("b", torch.tensor([0.5, -0.5]))])


def zip_entries(path):
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def write_zip(path, entries, compress=None):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = compress(name) if compress else zipfile.ZIP_STORED
            z.writestr(info, data)


def patch_pkl(src, dst, old, new):
    entries = zip_entries(src)
    out = []
    for name, data in entries:
        if name.endswith("/data.pkl"):
            assert old in data, (src, old)
            data = data.replace(old, new)
        out.append((name, data))
    write_zip(dst, out)


def hand_pickle(global_line, arg_ops):
    """PROTO 2, GLOBAL module\\nname\\n, the argument opcodes, TUPLE1, REDUCE, STOP: never run here."""
    return b"\x80\x02c" + global_line + arg_ops + b"\x85R."


def unicode_op(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def write_bad():
    os.makedirs(BAD, exist_ok=True)
    tmp = os.path.join(BAD, "archive.pt")  # its stem, "archive", names the records inside
    # payloads next to real tensors, written by torch.save itself
    save({"state_dict": small_tensors(), "extra": {"hook": OsSystem("nested_zip")}}, os.path.join(BAD, "nested_zip.pt"), False)
    save({"state_dict": small_tensors(), "extra": [SubprocessCall("nested_legacy")]},
         os.path.join(BAD, "nested_legacy.pt"), True)
    save(OsSystem("posix_system_legacy"), os.path.join(BAD, "posix_system_legacy.pt"), True)
    save({"w": torch.ones(2), "x": SubprocessCall("subprocess_zip")}, os.path.join(BAD, "subprocess_zip.pt"), False)
    save({"x": BuiltinsEval("eval_zip"), "w": torch.ones(2)}, os.path.join(BAD, "eval_zip.pt"), False)
    # hand-written data.pkl in an otherwise valid zip: GLOBAL 'os system' and a protocol-4 STACK_GLOBAL of builtins.exec
    save(small_tensors(), tmp, False)
    entries = zip_entries(tmp)
    for case, pkl in (
        ("os_system_zip", hand_pickle(b"os\nsystem\n", unicode_op("touch " + marker("os_system_zip")))),
        ("exec_stack_global_zip",
         b"\x80\x04\x95" + struct.pack("<Q", 0) + unicode_op("builtins") + b"\x94" + unicode_op("exec") + b"\x94\x93"
         + unicode_op("open('" + marker("exec_stack_global_zip") + "','w')") + b"\x85R.")):
        write_zip(os.path.join(BAD, case + ".pt"), [(n, pkl if n.endswith("/data.pkl") else d) for n, d in entries])
    # broken files
    save(small_tensors(), tmp, False)
    raw = open(tmp, "rb").read()
    open(os.path.join(BAD, "truncated_zip.pt"), "wb").write(raw[: len(raw) * 3 // 5])
    entries = zip_entries(tmp)
    write_zip(os.path.join(BAD, "missing_record_zip.pt"), [(n, d) for n, d in entries if not n.endswith("/data/1")])
    write_zip(os.path.join(BAD, "short_record_zip.pt"), [(n, d[:-4] if n.endswith("/data/0") else d) for n, d in entries])
    write_zip(os.path.join(BAD, "bigendian_zip.pt"), entries + [(entries[0][0].split("/")[0] + "/byteorder", b"big")])
    write_zip(os.path.join(BAD, "compressed_zip.pt"), entries,
              compress=lambda n: zipfile.ZIP_DEFLATED if n.endswith("/data/0") else zipfile.ZIP_STORED)
    patch_pkl(tmp, os.path.join(BAD, "unknown_storage_zip.pt"), b"torch\nFloatStorage\n", b"torch\nFloatStorageX\n")
    save(small_tensors(), tmp, True)
    raw = open(tmp, "rb").read()
    open(os.path.join(BAD, "cut_legacy.pt"), "wb").write(raw[:-6])
    open(os.path.join(BAD, "unknown_storage_legacy.pt"), "wb").write(
        raw.replace(b"torch\nFloatStorage\n", b"torch\nFloatStorageX\n"))
    os.remove(tmp)


if __name__ == "__main__":
    torch.manual_seed(0)
    write_good()
    write_bad()
    for d in (GOOD, BAD):
        for n in sorted(os.listdir(d)):
            if n.endswith(".pt") or n.endswith(".safetensors"):
                sys.stderr.write(f"{os.path.relpath(os.path.join(d, n), ROOT)}: {os.path.getsize(os.path.join(d, n))} bytes\n")
