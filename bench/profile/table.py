"""Instructions per request of two servers on the four hello endpoints.

    python3 bench/profile/table.py BASE OTHER

BASE and OTHER are the NAMEs given to callgrind.sh (e.g. `hyper` and
`prebake`): their dumps and wrk reports are read from target/bench/profile/.
Each dump is divided by the requests wrk completed during it (under valgrind
on a loaded machine that can be fewer than asked for). This is the zero-cost
guard of bench/README.md: run after a change, prebake's figures should not
move on endpoints the change does not concern.
"""

import glob
import os
import sys

import compare

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "target", "bench", "profile")
ENDPOINTS = [("1", "plaintext", "GET /plaintext"), ("2", "json", "GET /json"),
             ("3", "user", "GET /user/42"), ("4", "validate", "POST /validate")]


def per_request(name, n, label):
    dumps = glob.glob(os.path.join(OUT, f"{name}.cg.*.{n}"))
    if len(dumps) != 1:
        sys.exit(f"table.py: expected one dump {name}.cg.PID.{n} in {OUT}, found {len(dumps)}")
    requests = compare.completed(dumps[0])
    return sum(compare.self_costs(dumps[0]).values()) / requests, int(requests)


def main():
    base, other = sys.argv[1], sys.argv[2]
    print(f"{'endpoint':<16} {base:>12} {other:>12} {'ratio':>7}   requests")
    for n, label, title in ENDPOINTS:
        a, ra = per_request(base, n, label)
        b, rb = per_request(other, n, label)
        print(f"{title:<16} {a:>12.0f} {b:>12.0f} {b / a:>6.2f}x   {ra} / {rb}")


if __name__ == "__main__":
    main()
