"""The op vocabulary, as cases know it: the one table lives in ``adapters/vocabulary.py``
(adapters map it and sit below cases, so the lower layer holds it); its names stay importable
from here."""

from __future__ import annotations

from adapters.vocabulary import OPTIONAL, VOCABULARY, Op, names, qualified_names

__all__ = ["OPTIONAL", "VOCABULARY", "Op", "names", "qualified_names"]
