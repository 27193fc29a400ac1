"""Synthetic corpus: N distinct copies of the reports, for scaling measurements.

    python -m eval.synth --factor 10 --out /tmp/corpus-10x [--seed 0]

Copy 0 is the real corpus, byte for byte (same files, same manifest entries),
so the real gold set (eval/qa.jsonl) still applies to it. Copy ``k > 0`` of
each report is a different document about a fictitious state institution:

* institution names and acronyms are replaced (IMSS -> ISSJAL, "Instituto
  Mexicano del Seguro Social" -> "Instituto de Seguridad Social de Jalisco",
  ISSSTE, PENSIONISSSTE, FOVISSSTE, SNDIF and DIF likewise), keeping case;
* years (1900-2099) are shifted by one offset per copy, so ranges stay ranges;
* integers of one or two digits (days, page and section numbers) are kept;
* every other figure keeps its first digit and its format (separators,
  decimals, length) and gets the rest of its digits drawn at random.

Line structure is kept (no replacement spans or adds a newline), so line
citations, the manifest's ``parts`` and the table layouts still hold.
Everything is a pure function of (seed, copy, file): reruns are identical.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.corpus import MANIFEST, file_sha256
from rag.settings import PROJECT_ROOT

STATES = (
    ("Aguascalientes", "AGS"), ("Baja California", "BC"), ("Baja California Sur", "BCS"), ("Campeche", "CAM"),
    ("Coahuila", "COA"), ("Colima", "COL"), ("Chiapas", "CHS"), ("Chihuahua", "CHH"), ("Durango", "DGO"),
    ("Guanajuato", "GTO"), ("Guerrero", "GRO"), ("Hidalgo", "HGO"), ("Jalisco", "JAL"), ("México", "MEX"),
    ("Michoacán", "MIC"), ("Morelos", "MOR"), ("Nayarit", "NAY"), ("Nuevo León", "NL"), ("Oaxaca", "OAX"),
    ("Puebla", "PUE"), ("Querétaro", "QRO"), ("Quintana Roo", "QROO"), ("San Luis Potosí", "SLP"), ("Sinaloa", "SIN"),
    ("Sonora", "SON"), ("Tabasco", "TAB"), ("Tamaulipas", "TAM"), ("Tlaxcala", "TLX"), ("Veracruz", "VER"),
    ("Yucatán", "YUC"), ("Zacatecas", "ZAC"), ("Ciudad de México", "CDMX"),
)  # fmt: skip
# Per variant (copy // 32 % 4): acronym stems and full names of the fictitious institutions.
_SOCIAL = (("ISS", "de Seguridad Social"), ("IPE", "de Pensiones"), ("IPS", "de Previsión Social"), ("IMS", "Mutualista de Seguridad Social"))
_WORKERS = ("ISSTE", "ISSEM", "IPSSTE", "ISSPE")
_FIGURE = re.compile(r"(?<![\w])(?<![^\W\d_]-)\d+(?:[.,\u00a0]\d+)*")
_YEAR = re.compile(r"(19|20)\d\d")


@dataclass(frozen=True)
class Variant:
    """What copy ``index`` becomes: a state, institution names and a year shift."""

    index: int
    state: str
    names: tuple[tuple[str, str], ...]  # (real name, replacement), longest first
    year_shift: int

    @classmethod
    def of(cls, index: int) -> Variant:
        state, code = STATES[(index - 1) % len(STATES)]
        stem, social = _SOCIAL[(index - 1) // len(STATES) % len(_SOCIAL)]
        workers = _WORKERS[(index - 1) // len(STATES) % len(_WORKERS)] + code
        workers_of = "de Seguridad y Servicio{} Social{} de los Trabajadores del Estado"
        names = {
            "Instituto " + workers_of.format("s", "es"): "Instituto " + workers_of.format("s", "es").replace("del Estado", f"de {state}"),
            "Instituto " + workers_of.format("", ""): "Instituto " + workers_of.format("", "").replace("del Estado", f"de {state}"),
            "Sistema Nacional para el Desarrollo Integral de la Familia": f"Sistema Estatal para el Desarrollo Integral de la Familia de {state}",
            "Instituto Mexicano del Seguro Social": f"Instituto {social} de {state}",
            "PENSIONISSSTE": f"PENSION{workers}",
            "PIIMSS": f"PI{stem}{code}",
            "FOVISSSTE": f"FOVI{workers}",
            "ISSSTE": workers,
            "SNDIF": f"SEDIF{code}",
            "IMSS": f"{stem}{code}",
            "DIF": f"DIF{code}",
        }
        shift = 1 + (index - 1) % 37  # never 0 (a copy never keeps the real years); 2062 + 37 is still 20xx
        return cls(index, state, tuple(sorted(names.items(), key=lambda kv: -len(kv[0]))), shift)

    def rename(self, text: str) -> str:
        """Institution names replaced, keeping the case of each occurrence."""
        table = {real.lower(): new for real, new in self.names}
        pattern = re.compile(r"(?<![A-Za-z])(" + "|".join(re.escape(real) for real, _ in self.names) + r")(?![a-z])", re.IGNORECASE)
        return pattern.sub(lambda m: _same_case(m.group(0), table[m.group(0).lower()]), text)

    def shift_years(self, text: str) -> str:
        return _FIGURE.sub(lambda m: self.year(m.group(0)), text)

    def year(self, token: str) -> str:
        return str(int(token) + self.year_shift) if _YEAR.fullmatch(token) else token


def _same_case(original: str, replacement: str) -> str:
    if original.isupper():
        return replacement.upper()
    if original.islower():
        return replacement.lower()
    return replacement


def alter_figures(text: str, variant: Variant, rng: random.Random) -> str:
    """Years shifted; other figures keep their first digit and format, the rest is redrawn."""

    def figure(match: re.Match[str]) -> str:
        token = match.group(0)
        if _YEAR.fullmatch(token):
            return variant.year(token)
        if token.isdigit() and len(token) <= 2:
            return token  # days, counts, page and section numbers
        return token[0] + "".join(str(rng.randrange(10)) if ch.isdigit() else ch for ch in token[1:])

    return _FIGURE.sub(figure, text)


def synth_text(text: str, variant: Variant, seed: int, name: str) -> str:
    rng = random.Random(f"{seed}:{variant.index}:{name}")  # noqa: S311 - reproducible test data, not secrets
    return alter_figures(variant.rename(text), variant, rng)


def synth_entry(entry: dict[str, Any], variant: Variant, text: str) -> dict[str, Any]:
    """The manifest entry of one copy: every name, year and file reference follows the copy."""

    def label(text: str) -> str:
        return variant.shift_years(variant.rename(text))

    stem, suffix = entry["file"].rsplit(".", 1)
    copy: dict[str, Any] = {
        **entry,
        "id": f"{entry['id']}-s{variant.index:03d}",
        "title": label(entry["title"]),
        "short_title": f"{label(entry.get('short_title') or entry['title'])} ({variant.state})",  # every unit's context names its copy
        "institutions": [variant.rename(i) for i in entry["institutions"]],
        "period": variant.shift_years(entry["period"]),
        "publisher": variant.rename(entry["publisher"]),
        "file": f"{stem}-s{variant.index:03d}.{suffix}",
    }
    if "parts" in entry:
        copy["parts"] = [{**p, "title": variant.rename(p["title"])} for p in entry["parts"]]
    return copy


def make_corpus(factor: int, out: Path, source: Path = PROJECT_ROOT / "corpus", seed: int = 0) -> Path:
    """Write ``factor`` copies of the corpus in ``source`` to ``out`` (copy 0 = the real one)."""
    if factor < 1:
        raise ValueError("factor must be >= 1")
    out.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = []
    for k in range(factor):
        variant = Variant.of(k) if k else None
        for entry in manifest["documents"]:
            text = (source / entry["file"]).read_text(encoding="utf-8")
            if variant is None:
                shutil.copyfile(source / entry["file"], out / entry["file"])
                entries.append(entry)
                continue
            copy = synth_entry(entry, variant, text)
            target = out / copy["file"]
            target.write_text(synth_text(text, variant, seed, entry["file"]), encoding="utf-8")
            entries.append({**copy, "sha256": file_sha256(target)})
    synthetic = {**manifest, "documents": entries, "synthetic": {"factor": factor, "seed": seed}}
    (out / MANIFEST).write_text(json.dumps(synthetic, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--factor", type=int, required=True, help="number of copies of the corpus (1 = the real corpus)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (report files + manifest.json)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the altered figures")
    parser.add_argument("--source", type=Path, default=PROJECT_ROOT / "corpus", help="corpus to copy")
    args = parser.parse_args(argv)
    out = make_corpus(args.factor, args.out, args.source, args.seed)
    count = len(json.loads((out / MANIFEST).read_text(encoding="utf-8"))["documents"])
    print(f"wrote {count} reports ({args.factor}× the corpus) to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
