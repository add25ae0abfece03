"""BG/NBD fit with the `lifetimes` package: the baseline that
`kehu-bench analytics` times against Kehu's `fit_bgnbd`.

Reads a summary CSV (customer_id,frequency,recency,T), fits it --rounds times
and prints one JSON object: the fitted parameters and the seconds each fit
took (the fit only, as Kehu's figure is the fit only).

Usage: bgnbd_lifetimes.py --summary FILE.csv --rounds N
"""

import argparse
import json
import time
import warnings

import pandas as pd
from lifetimes import BetaGeoFitter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--summary", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    summary = pd.read_csv(args.summary)
    seconds = []
    fitter = None
    for _ in range(args.rounds):
        fitter = BetaGeoFitter()
        started = time.perf_counter()
        fitter.fit(summary["frequency"], summary["recency"], summary["T"])
        seconds.append(time.perf_counter() - started)
    params = {name: float(value) for name, value in fitter.params_.items()}
    print(json.dumps({"params": params, "seconds": seconds}))


if __name__ == "__main__":
    main()
