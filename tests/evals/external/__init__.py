import os
from pathlib import Path

# The samples of the external benchmarks (../shared/benchmarks beside the project); tests that
# read them skip when they are absent.
BENCHMARKS = Path(
    os.environ.get(
        "WIRECODER_BENCHMARKS_DIR", Path(__file__).resolve().parents[4] / "shared" / "benchmarks"
    )
)
