"""The model layer: clients, pipelines, enrichment. `build_extractor` is the one way the service,
the CLI and the eval suite build the real extractor (tests replace it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from api.config import Settings
    from schemas.contract import ExtractorLike


def build_extractor(settings: Settings) -> ExtractorLike:
    """The extractor these settings describe (imports the model client stack on first use)."""
    from api.llm.extractor import Extractor

    return Extractor(settings)
