"""Read and write the safetensors format without the `safetensors` package (not installed here).

Layout: an 8-byte little-endian header length N, N bytes of JSON
({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}), then the raw
little-endian tensor bytes. Offsets are relative to the end of the header. Like the reference
writer, we pad the header with spaces so that the data starts 8-byte aligned.
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import torch

# safetensors dtype name -> torch dtype (the ones Hugging Face checkpoints use for weights).
DTYPES = {
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "F64": torch.float64,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}
# numpy has no bfloat16: bytes of same-sized dtypes are moved through an integer view.
_RAW = {torch.bfloat16: torch.int16, torch.float16: torch.int16}


def _to_bytes(t: torch.Tensor) -> bytes:
    t = t.detach().contiguous().cpu()
    if t.dtype in _RAW:
        t = t.view(_RAW[t.dtype])
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()


def _from_bytes(buf: bytes, dtype: str, shape: list[int]) -> torch.Tensor:
    tdt = DTYPES[dtype]
    raw = _RAW.get(tdt, tdt)
    np_dtype = torch.empty(0, dtype=raw).numpy().dtype.newbyteorder("<")
    arr = np.frombuffer(buf, dtype=np_dtype).astype(np_dtype.newbyteorder("="))
    t = torch.from_numpy(arr).reshape(shape)  # astype copied: writable, native order
    return t.view(tdt) if raw is not tdt else t


def write_safetensors(
    path: str, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None
) -> int:
    """Writes `tensors` (each in its own dtype) to `path`; returns the file size in bytes."""
    header: dict[str, object] = {"__metadata__": metadata or {"format": "pt"}}
    offset = 0
    names = sorted(tensors)
    for name in names:
        t = tensors[name]
        n = t.numel() * t.element_size()
        header[name] = {
            "dtype": NAMES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + n],
        }
        offset += n
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-(8 + len(head)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for name in names:  # one tensor at a time: a 124M-parameter model needs no second copy
            f.write(_to_bytes(tensors[name]))
    return os.path.getsize(path)


def read_header(path: str) -> dict:
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n))


def read_safetensors(path: str) -> dict[str, torch.Tensor]:
    """Returns every tensor in its stored dtype (use `.float()` to get float32)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        out[name] = _from_bytes(data[begin:end], info["dtype"], info["shape"])
    return out


def load_checkpoint(folder: str) -> dict[str, torch.Tensor]:
    """Reads `model.safetensors`, or the shards listed by `model.safetensors.index.json`."""
    index = os.path.join(folder, "model.safetensors.index.json")
    if not os.path.exists(index):
        return read_safetensors(os.path.join(folder, "model.safetensors"))
    with open(index) as f:
        weight_map = json.load(f)["weight_map"]
    out: dict[str, torch.Tensor] = {}
    for shard in sorted(set(weight_map.values())):
        out.update(read_safetensors(os.path.join(folder, shard)))
    missing = set(weight_map) - set(out)
    if missing:
        raise ValueError(f"{folder}: index names tensors absent from the shards: {sorted(missing)}")
    return out


def save_checkpoint(folder: str, tensors: dict[str, torch.Tensor], shards: int = 1) -> list[str]:
    """Writes `model.safetensors`, or `shards` files plus Hugging Face's index. Returns the files."""
    os.makedirs(folder, exist_ok=True)
    if shards == 1:
        write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
        return ["model.safetensors"]
    names = sorted(tensors)
    # Split by bytes, not by count, so the shards come out roughly even like HF's max_shard_size.
    total = sum(tensors[n].numel() * tensors[n].element_size() for n in names)
    groups: list[list[str]] = [[] for _ in range(shards)]
    acc = 0
    for n in names:
        i = min(shards - 1, acc * shards // max(total, 1))
        groups[i].append(n)
        acc += tensors[n].numel() * tensors[n].element_size()
    files, weight_map = [], {}
    for i, group in enumerate(groups):
        fname = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        write_safetensors(os.path.join(folder, fname), {n: tensors[n] for n in group})
        files.append(fname)
        weight_map.update({n: fname for n in group})
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")
    return files + ["model.safetensors.index.json"]
