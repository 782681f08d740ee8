"""What reading an EDTF date costs: accord's own reader against the `edtf` library it is tested against.

Level 1 forms the old fast path left to the library (unspecified digits,
seasons, times of day, qualified interval ends, negative and long years),
each string new, so that no cache answers; then a 3 KB set of dates, the
kind of string that held the appending thread for seconds, refused.

    python -m bench.bench_edtf
"""

from __future__ import annotations

import time

import edtf

from events.edtf_dates import EdtfError, _read, parse_edtf_date

FORMS = ["{y}-XX", "{y}-21", "{y}-04-XX", "{y}-06-20T10:00:00Z", "{y}~/{y}-06", "-{y}", "Y1{y}00"]


def main() -> None:
    texts = [form.format(y=year) for year in range(1000, 1300) for form in FORMS]
    _read.cache_clear()
    started = time.process_time()
    for text in texts:
        parse_edtf_date(text)
    ours = (time.process_time() - started) / len(texts)
    sample = texts[::20]
    started = time.process_time()
    for text in sample:
        edtf.parse_edtf(text)
    library = (time.process_time() - started) / len(sample)
    hostile = "[" + ",".join(f"{1000 + i}-0{1 + i % 9}" for i in range(400)) + "]"
    started = time.perf_counter()
    for _ in range(1000):
        try:
            parse_edtf_date(hostile)
        except EdtfError:
            pass
    refused = (time.perf_counter() - started) / 1000
    print("| reader | strings | CPU per string |")
    print("|---|---:|---:|")
    print(f"| accord (`events/edtf_dates.py`) | {len(texts):,} | {ours * 1e6:,.1f} µs |")
    print(f"| `edtf` library | {len(sample):,} | {library * 1e6:,.0f} µs |")
    print(f"\na {len(hostile):,}-character set of dates refused in {refused * 1e6:.2f} µs (mean of 1,000)")


if __name__ == "__main__":
    main()
