"""Times each search-box term of bench/kehu.lua over HTTP, one call at a time, per user.

    python3 bench/search_terms.py http://127.0.0.1:8080 admin=TOKEN rep=TOKEN ...

Where `kehu-bench probe` times the repository call, this times what a user waits for:
`GET /api/v1/search?q=…` on a running `kehu serve` (both passes of the search box,
record reads, masking, JSON), one client, median of five calls. Tokens come from
`kehu token create --user NAME`. Standard library only.
"""

import re
import statistics
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPS = 5


def wrk_terms():
    """The `terms` table of bench/kehu.lua, so that both tools time the same mix."""
    lua = (Path(__file__).parent / "kehu.lua").read_text(encoding="utf-8")
    table = re.search(r"local terms = \{(.*?)\n\}", lua, re.S).group(1)
    return re.findall(r'"([^"]*)"', table)


def median_ms(base, token, term):
    url = base + "/api/v1/search?q=" + urllib.parse.quote(term)
    headers = {"Authorization": "Bearer " + token, "Accept": "application/json"}
    times = []
    for _ in range(REPS):
        started = time.perf_counter()
        urllib.request.urlopen(urllib.request.Request(url, headers=headers)).read()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main():
    base, users = sys.argv[1].rstrip("/"), [arg.split("=", 1) for arg in sys.argv[2:]]
    if not users:
        sys.exit(__doc__)
    terms = wrk_terms()
    print("term".ljust(14) + "".join(name.rjust(14) for name, _ in users))
    times = {name: [] for name, _ in users}
    for term in terms:
        row = []
        for name, token in users:
            ms = median_ms(base, token, term)
            times[name].append((ms, term))
            row.append(f"{ms:14.2f}")
        # CJK characters take two columns in a terminal.
        wide = sum(1 for c in term if ord(c) > 0x2E80)
        print(term.ljust(14 - wide) + "".join(row), flush=True)
    print("mean".ljust(14) + "".join(f"{statistics.mean(t for t, _ in times[n]):14.2f}" for n, _ in users))
    for name, _ in users:
        slowest = max(times[name])
        print(f"slowest for {name}: {slowest[1]} {slowest[0]:.2f} ms")


if __name__ == "__main__":
    main()
