"""How long masking takes: a 100 kB running configuration and a -vvv log record, six known keys.

Run: PYTHONPATH=. python benchmarks/bench_masking.py
"""

from __future__ import annotations

import timeit

from cgw.secrets import Masker, MaskingFilter


def main() -> None:
    keys = [f"Bench.key_number_{i}_value_xyz" for i in range(6)]
    masker = Masker({f"psk:tunnel{i}": key for i, key in enumerate(keys)})
    config = "".join(f" description line {i} of someone else's config\n" for i in range(2000))
    config += "".join(f" pre-shared-key {key}\n" for key in keys)
    record = f"read_channel: ' tunnel destination 198.51.100.10\\n pre-shared-key {keys[0][:9]}"
    runs = 20
    whole = timeit.timeit(lambda: masker.mask(config), number=runs) / runs
    edges = timeit.timeit(lambda: masker.mask(record, edges=True), number=runs * 50) / (runs * 50)
    build = timeit.timeit(lambda: Masker({"psk:t": keys[0]}), number=runs) / runs
    print(f"config {len(config) / 1000:.0f} kB, 6 keys: {whole * 1000:.2f} ms per mask()")
    print(f"one -vvv log record with chunk edges: {edges * 1000:.3f} ms")
    print(f"new masker with one key (all encodings compiled): {build * 1000:.2f} ms")
    assert MaskingFilter(masker)  # the filter wraps the same masker


if __name__ == "__main__":
    main()
