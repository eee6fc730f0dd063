"""Compare two callgrind dumps per request: self instructions by function.

    python3 bench/profile/compare.py BASE.cg.PID.N OTHER.cg.PID.N [REQUESTS] [TOP]

Prints both totals and the functions whose self cost grew most from BASE
(e.g. plain hyper) to OTHER (e.g. prebake), per request. The binaries' own
names are merged so that the same Rust function compares across binaries.
Each dump is divided by the requests wrk completed during it (the
NAME.LABEL.wrk report callgrind.sh leaves beside it), or by REQUESTS when
given and not 0.
"""

import collections
import glob
import os
import re
import sys

_ID = re.compile(r"\((\d+)\)(?:\s+(.*))?")


def self_costs(path):
    """{(function, object): self Ir} from a name-compressed callgrind file."""
    fns, obs = {}, {}
    out = collections.Counter()
    fn = ob = None
    after_calls = False

    def name(value, table):
        m = _ID.match(value)
        if not m:
            return value
        if m.group(2):
            table[m.group(1)] = m.group(2)
        return table.get(m.group(1), "?" + m.group(1))

    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("ob="):
            ob = name(line[3:], obs)
        elif line.startswith("fn="):
            fn = (name(line[3:], fns), ob)
        elif line.startswith("cob="):
            name(line[4:], obs)
        elif line.startswith("cfn="):
            name(line[4:], fns)
        elif line.startswith("calls="):
            after_calls = True
        elif line[:1].isdigit() or line[:1] in "+-*":
            parts = line.split()
            if len(parts) >= 2 and fn is not None:
                if after_calls:
                    after_calls = False  # the callee's inclusive cost
                else:
                    out[fn] += int(parts[1])
    return out


def per_function(path, requests, binaries):
    out = collections.Counter()
    for (fn, ob), cost in self_costs(path).items():
        obj = (ob or "").rsplit("/", 1)[-1]
        out[(fn, "binary" if obj in binaries else obj)] += cost / requests
    return out


LABELS = {"1": "plaintext", "2": "json", "3": "user", "4": "validate"}


ENCODE = "as hyper::proto::h1::Http1Transaction>::encode"


def encoded(dump):
    """Responses hyper wrote during `dump`: the calls of its server's
    `encode` (one per response), or None when the dump has none. Exact
    where wrk's count is not: pipelined, wrk stops counting with answers
    still in flight."""
    # callgrind names a function once per process: a later dump may use
    # an id an earlier one (or the final one) defined.
    fns = {}
    for path in glob.glob(dump.rsplit(".", 1)[0] + "*"):
        for line in open(path, encoding="utf-8", errors="replace"):
            if line.startswith(("fn=", "cfn=")):
                m = _ID.match(line.split("=", 1)[1].rstrip("\n"))
                if m and m.group(2):
                    fns[m.group(1)] = m.group(2)
    target, total = None, 0
    for line in open(dump, encoding="utf-8", errors="replace"):
        if line.startswith("cfn="):
            m = _ID.match(line[4:].rstrip("\n"))
            name = fns.get(m.group(1), "") if m else line[4:]
            target = "Server" in name and name.endswith(ENCODE)
        elif line.startswith("calls=") and target:
            total += int(line.split()[0][6:])
            target = None
    return float(total) if total else None


def completed(dump):
    """The requests answered during `dump` (NAME.cg.PID.N): hyper's
    `encode` calls, else the count wrk reported."""
    n = encoded(dump)
    if n:
        return n
    folder, base = os.path.split(dump)
    name, _, rest = base.partition(".cg.")
    label = LABELS[rest.rsplit(".", 1)[-1]]
    with open(os.path.join(folder, f"{name}.{label}.wrk"), encoding="utf-8") as f:
        m = re.search(r"(\d+) requests in", f.read())
    if not m:
        sys.exit(f"compare.py: no request count in {name}.{label}.wrk; give REQUESTS")
    return float(m.group(1))


def main():
    base_path, other_path = sys.argv[1], sys.argv[2]
    requests = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 40
    binaries = set()
    for p in (base_path, other_path):
        for line in open(p, encoding="utf-8", errors="replace"):
            if line.startswith("cmd:"):
                binaries.add(line.split()[1].rsplit("/", 1)[-1])
                break
    a = per_function(base_path, requests or completed(base_path), binaries)
    b = per_function(other_path, requests or completed(other_path), binaries)
    ta, tb = sum(a.values()), sum(b.values())
    print(f"instructions per request: base {ta:.0f}, other {tb:.0f}, difference {tb - ta:+.0f}")
    keys = sorted(set(a) | set(b), key=lambda k: a[k] - b[k])
    for k in keys[:top]:
        print(f"{b[k] - a[k]:+7.0f}  ({a[k]:6.0f} -> {b[k]:6.0f})  {k[0][:110]}  [{k[1]}]")


if __name__ == "__main__":
    main()
