"""Leave one report out: does the reader carry over to a report it was not trained on?

For each report, the reader is trained on the train split without that
report's questions and scored on that report's questions of the test split;
beside it, the model trained on the whole train split, on the same questions.
Strict accuracy as served: the threshold is the one ``rag train`` chose on dev.
Prints a table of aggregates only (the test split stays sealed)::

    python -m eval.loro
"""

from __future__ import annotations

import json
import sys

from eval.qa import load_qa
from rag.answer import train as T
from rag.answer.reader import reader_dir
from rag.settings import get_settings


def main() -> int:
    from eval.run import QueryEmbeddingMemo
    from rag.index.build import default_embedder
    from rag.pipeline import Pipeline

    settings = get_settings()
    threshold = json.loads((reader_dir(settings) / "manifest.json").read_text(encoding="utf-8"))["threshold"]
    pipeline = Pipeline.open(T.replace_settings(settings, reader=False), embedder=QueryEmbeddingMemo(default_embedder(settings)))
    train = T.build_groups(pipeline, [i for i in load_qa(T.TRAIN_DATA, settings.corpus_dir) if i.kind in ("table", "passage")])
    test = T.build_groups(pipeline, load_qa(T.TRAIN_DATA.parent / "test.jsonl", settings.corpus_dir))
    params = {"num_leaves": 15, "n_estimators": 300}
    everything = T.fit(train, params)
    print("| report held out | test questions | trained without it | trained on all |")
    print("|---|---|---|---|")
    for report in sorted({g.item.doc for g in test if g.item.doc}):
        held = [g for g in test if g.item.doc == report]
        without = T.fit([g for g in train if g.item.doc != report], params)
        scores = [T.strict_accuracy_at(T.outcomes(held, T.predict(m, held)), threshold)[0] for m in (without, everything)]
        print(f"| {report} | {len(held)} | {scores[0]:.3f} | {scores[1]:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
