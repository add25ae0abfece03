"""RFM scores, segments and ABC classes with pandas: the baseline that
`kehu-bench analytics` times against `kehu analytics rfm`.

The same definitions as Kehu (issue 3): recency in days to --as-of, frequency
= purchase rows, monetary = sum of amounts; R and M by `qcut` into quintiles
(numpy linear quantiles, right-closed bins, lowest value in bin 1), R reversed;
F by `qcut` of the frequency rank with ties broken by ascending customer id;
segments from (R, F); ABC by cumulative revenue share (80 % / 95 %), ranked by
revenue descending, ties by ascending id, the top customer always A.

Usage: rfm_pandas.py --transactions FILE.csv --as-of YYYY-MM-DD --output OUT.csv
"""

import argparse

import numpy as np
import pandas as pd

CLASSES = 5
# SEGMENT_GRID[r - 1][f - 1], the default segment table.
SEGMENT_GRID = [
    ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"],
    ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"],
    ["about_to_sleep", "about_to_sleep", "need_attention", "loyal_customers", "loyal_customers"],
    ["promising", "potential_loyalists", "potential_loyalists", "loyal_customers", "loyal_customers"],
    ["new_customers", "potential_loyalists", "potential_loyalists", "champions", "champions"],
]
ABC_A, ABC_B = 0.80, 0.95
SHARE_TOLERANCE = 1e-12


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transactions", required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    as_of = pd.Timestamp(args.as_of)

    purchases = pd.read_csv(
        args.transactions,
        usecols=["customer_id", "date", "amount"],
        dtype={"customer_id": "int64", "amount": "float64"},
    )
    purchases["date"] = pd.to_datetime(purchases["date"], format="%Y-%m-%d")
    purchases = purchases[purchases["date"] <= as_of]
    # Money in whole cents: a float sum depends on the order of the rows, and a total
    # that should equal a quintile edge then lands a few ulps above it, in the next class.
    purchases["cents"] = (purchases["amount"] * 100).round().astype("int64")

    # One row per customer, sorted by customer id (groupby sorts its keys).
    rfm = purchases.groupby("customer_id").agg(
        last=("date", "max"), frequency=("date", "size"), cents=("cents", "sum")
    )
    rfm["monetary"] = rfm["cents"] / 100
    rfm["recency"] = (as_of - rfm["last"]).dt.days
    rfm["r"] = CLASSES - pd.qcut(rfm["recency"], CLASSES, labels=False)
    rfm["m"] = pd.qcut(rfm["cents"], CLASSES, labels=False) + 1
    # rank(method="first") numbers equal frequencies in row order, i.e. by customer id.
    rfm["f"] = pd.qcut(rfm["frequency"].rank(method="first"), CLASSES, labels=False) + 1
    grid = np.array(SEGMENT_GRID, dtype=object)
    rfm["segment"] = grid[rfm["r"].to_numpy() - 1, rfm["f"].to_numpy() - 1]

    revenue = rfm["cents"].to_numpy().astype("float64")
    ranked = np.lexsort((rfm.index.to_numpy(), -revenue))
    ranked_revenue = revenue[ranked]
    positive = np.where(ranked_revenue > 0, ranked_revenue, 0.0)
    cumulative = np.cumsum(positive) / positive.sum()
    classes = np.where(
        cumulative <= ABC_A + SHARE_TOLERANCE,
        "A",
        np.where(cumulative <= ABC_B + SHARE_TOLERANCE, "B", "C"),
    )
    classes[0] = "A"
    classes[ranked_revenue <= 0] = "C"
    abc = np.empty(len(revenue), dtype=object)
    abc[ranked] = classes
    rfm["abc"] = abc

    rfm.reset_index()[
        ["customer_id", "recency", "frequency", "monetary", "r", "f", "m", "segment", "abc"]
    ].to_csv(args.output, index=False, float_format="%.2f")


if __name__ == "__main__":
    main()
