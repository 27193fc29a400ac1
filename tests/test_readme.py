"""The README documents every setting and every command (so neither can be added silently)."""

from __future__ import annotations

import argparse
import re

from rag.cli import _build_parser as build_parser
from rag.settings import PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme() -> None:
    missing = [f"RAG_{name.upper()}" for name in Settings.model_fields if f"`RAG_{name.upper()}`" not in README]
    assert not missing, f"document these settings in README.md, Settings: {missing}"


def test_every_cli_command_is_in_the_readme() -> None:
    parser = build_parser()
    commands = [name for action in parser._actions if isinstance(action, argparse._SubParsersAction) for name in action.choices]
    assert {"index", "search", "ask", "eval", "tables", "serve", "corpus"} <= set(commands)
    missing = [name for name in commands if not re.search(rf"`rag {name}\b", README)]
    assert not missing, f"document these commands in README.md: {missing}"


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    assert "make serve" in first_block and "make test" in first_block
