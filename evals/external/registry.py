"""Every external benchmark adapter, by name: the CLI makes one command per entry and the
scorer asks each entry what to score. A new adapter is a module with an ADAPTER and a line
here."""

from __future__ import annotations

from evals.external import muc4, polnear, wikievents
from evals.external.common import BenchmarkAdapter

ADAPTERS: dict[str, BenchmarkAdapter] = {
    adapter.name: adapter for adapter in (muc4.ADAPTER, wikievents.ADAPTER, polnear.ADAPTER)
}


def adapter_named(name: str) -> BenchmarkAdapter:
    try:
        return ADAPTERS[name]
    except KeyError:
        raise ValueError(f"no benchmark {name!r}: known are {', '.join(ADAPTERS)}") from None
