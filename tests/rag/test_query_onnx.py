"""rag/query_onnx.py without loading a model: whether a built file belongs to a model directory."""

import json
from pathlib import Path

from rag.embed import model_fingerprint
from rag.query_onnx import BUILD_VERSION, built_for, query_model_path


def _model_dir(tmp_path: Path) -> Path:
    (tmp_path / "config.json").write_text('{"hidden_size": 384}')
    (tmp_path / "model.safetensors").write_bytes(b"0" * 10)
    return tmp_path


def _manifest(model_dir: Path, fingerprint: str) -> None:
    path = query_model_path(model_dir).with_suffix(".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"inputs": {"model": fingerprint, "build_version": BUILD_VERSION}}))


def test_a_file_built_for_this_model_is_recognised(tmp_path: Path) -> None:
    model_dir = _model_dir(tmp_path)
    _manifest(model_dir, model_fingerprint(str(model_dir)))
    assert built_for(model_dir)


def test_a_file_built_for_another_model_or_without_a_manifest_is_not(tmp_path: Path) -> None:
    model_dir = _model_dir(tmp_path)
    assert not built_for(model_dir)  # no manifest
    _manifest(model_dir, model_fingerprint(str(model_dir)))
    (model_dir / "config.json").write_text('{"hidden_size": 768}')  # the model changed after the build
    assert not built_for(model_dir)
    query_model_path(model_dir).with_suffix(".json").write_text("not json")
    assert not built_for(model_dir)
