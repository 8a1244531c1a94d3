"""The README and docs/architecture.md point only at files inside the repository that exist."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "docs" / "architecture.md"]
# Markdown links, and backticked paths into the repo's top-level folders.
LINK = re.compile(r"\]\(([^)#\s]+)")
PATH = re.compile(r"`((?:krakked_core|krakked_pipeline|streamlit_app|tests|bench|docs)/[\w/.]*)`")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_link_stays_in_the_repository_and_exists(doc: Path) -> None:
    text = doc.read_text()
    links = [link for link in LINK.findall(text) if "://" not in link]
    outside = [link for link in links if not (doc.parent / link).resolve().is_relative_to(ROOT)]
    assert outside == [], f"{doc.name} links outside the repository"
    missing = [link for link in links if not (doc.parent / link).exists()]
    assert missing == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_module_path_named_exists(doc: Path) -> None:
    named = PATH.findall(doc.read_text())
    assert named, f"{doc.name} names no path: the pattern no longer matches"
    missing = [path for path in named if not (ROOT / path.rstrip("/")).exists()]
    assert missing == []
