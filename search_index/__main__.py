"""`python -m search_index merge INDEX_DIR [--all | --rewrite]`: merge an index's segments from another process.

Without a flag, the smallest segments until MAX_SEGMENTS are left; `--all` every segment into one;
`--rewrite` even a single segment (to measure searches while a merge runs).
"""

from __future__ import annotations

import sys
from pathlib import Path

from search_index.index import SearchIndex
from search_index.merging import everything, rewritten, smallest


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "merge":
        print(__doc__, file=sys.stderr)
        return 2
    index = SearchIndex(Path(argv[1]))
    merged = index.merge(rewritten if "--rewrite" in argv else everything if "--all" in argv else smallest)
    print(f"merged {merged} segments into one, {index.segments()} left" if merged else "nothing to merge")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
