"""Instructions per request of two servers on the four hello endpoints.

    python3 bench/profile/table.py BASE OTHER

BASE and OTHER are the NAMEs given to callgrind.sh (e.g. `hyper` and
`prebake`): their dumps and wrk reports are read from target/bench/profile/.
Each dump is divided by the requests wrk completed during it (under valgrind
on a loaded machine that can be fewer than asked for). This is the zero-cost
guard of bench/README.md: run after a change, prebake's figures should not
move on endpoints the change does not concern.

Dumps made with valgrind's cache simulation (VALGRIND_OPTS="--cache-sim=yes"
in callgrind.sh's environment) add the simulated first-level instruction
cache misses per request: what costs time beyond the instruction count.
"""

import glob
import os
import sys

import compare

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "target", "bench", "profile")
ENDPOINTS = [("1", "plaintext", "GET /plaintext"), ("2", "json", "GET /json"),
             ("3", "user", "GET /user/42"), ("4", "validate", "POST /validate")]


def dump(name, n):
    dumps = glob.glob(os.path.join(OUT, f"{name}.cg.*.{n}"))
    if len(dumps) != 1:
        sys.exit(f"table.py: expected one dump {name}.cg.PID.{n} in {OUT}, found {len(dumps)}")
    return dumps[0]


def per_request(name, n, label):
    path = dump(name, n)
    requests = compare.completed(path)
    return sum(compare.self_costs(path).values()) / requests, int(requests)


def i1_misses(name, n):
    """Simulated L1 instruction cache misses per request, or None when the
    dump has no cache simulation."""
    path = dump(name, n)
    events = summary = None
    for line in open(path, encoding="utf-8", errors="replace"):
        if line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith("summary:"):
            summary = [int(v) for v in line.split()[1:]]
    if not events or not summary or "I1mr" not in events:
        return None
    return summary[events.index("I1mr")] / compare.completed(path)


def main():
    base, other = sys.argv[1], sys.argv[2]
    print(f"{'endpoint':<16} {base:>12} {other:>12} {'ratio':>7}   requests")
    for n, label, title in ENDPOINTS:
        a, ra = per_request(base, n, label)
        b, rb = per_request(other, n, label)
        print(f"{title:<16} {a:>12.0f} {b:>12.0f} {b / a:>6.2f}x   {ra} / {rb}")
    misses = [(title, i1_misses(base, n), i1_misses(other, n)) for n, _, title in ENDPOINTS]
    if all(a is not None and b is not None for _, a, b in misses):
        print(f"\nsimulated L1i misses per request\n{'endpoint':<16} {base:>12} {other:>12} {'ratio':>7}")
        for title, a, b in misses:
            print(f"{title:<16} {a:>12.0f} {b:>12.0f} {b / a:>6.2f}x")


if __name__ == "__main__":
    main()
