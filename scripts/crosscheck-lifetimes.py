#!/usr/bin/env python3
"""Cross-checks `crm predict` against the Python `lifetimes` package, end to end.

Builds a crm book from the CDNOW transaction sample that `lifetimes` ships
(`lifetimes/datasets/CDNOW_sample.txt`: 2,357 customers, 6,919 purchases), runs
`crm predict --to 1997-09-30` on it, and compares with lifetimes on the same
transactions: `summary_data_from_transaction_data(freq="D")` (x, t_x, T, m must be
identical), BetaGeoFitter and GammaGammaFitter parameters, P(alive), expected
purchases over 90 days, expected value and the 90-day CLV at 10 % a year. Prints the
largest relative differences; docs/metrics.md records a run.

Needs lifetimes in a throwaway venv (never committed), e.g.:

    python3 -m venv /tmp/lt && /tmp/lt/bin/pip install lifetimes
    cargo build && /tmp/lt/bin/python scripts/crosscheck-lifetimes.py target/debug/crm
"""
import collections
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
import zipfile

warnings.filterwarnings("ignore")
import pandas as pd  # noqa: E402
from lifetimes import BetaGeoFitter, GammaGammaFitter  # noqa: E402
from lifetimes.utils import summary_data_from_transaction_data  # noqa: E402

crm = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/debug/crm")
work = tempfile.mkdtemp(prefix="crm-lifetimes-")
subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", work, "lifetimes"], check=True)
wheel = glob.glob(os.path.join(work, "[Ll]ifetimes-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    sample = z.read("lifetimes/datasets/CDNOW_sample.txt").decode()

rows = []
for line in sample.splitlines():
    f = line.split()
    rows.append(("c" + f[0], f[2], float(f[4])))
book = os.path.join(work, "book")
os.makedirs(os.path.join(book, "customers"))
open(os.path.join(book, "crm.toml"), "w").close()
by = collections.defaultdict(list)
for cid, d, amount in rows:
    by[cid].append((d, amount))
for cid, tx in by.items():
    with open(os.path.join(book, "customers", cid + ".yaml"), "w") as fh:
        fh.write(f"name: Customer {cid}\ninteractions:\n")
        for d, amount in tx:
            fh.write(f"- {{date: {d[:4]}-{d[4:6]}-{d[6:]}, kind: purchase, amount: {amount:.2f}}}\n")

df = pd.DataFrame(rows, columns=["id", "date", "amount"])
df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
s = summary_data_from_transaction_data(
    df, "id", "date", monetary_value_col="amount", observation_period_end="1997-09-30", freq="D"
)
bgf = BetaGeoFitter(penalizer_coef=0.0).fit(s.frequency, s.recency, s["T"])
repeat = s[(s.frequency > 0) & (s.monetary_value > 0)]
ggf = GammaGammaFitter(penalizer_coef=0.0).fit(repeat.frequency, repeat.monetary_value)
series = lambda v: pd.Series(getattr(v, "values", v).ravel(), index=s.index)
p_alive = series(bgf.conditional_probability_alive(s.frequency, s.recency, s["T"]))
e90 = series(bgf.conditional_expected_number_of_purchases_up_to_time(90, s.frequency, s.recency, s["T"]))
value = series(ggf.conditional_expected_average_profit(s.frequency, s.monetary_value))
# lifetimes' rate is per 30-day step with freq="D": (1 + 10 %)^(30/365) − 1.
clv = series(ggf.customer_lifetime_value(
    bgf, s.frequency, s.recency, s["T"], s.monetary_value, time=3,
    discount_rate=1.1 ** (30 / 365) - 1, freq="D"))

def run(*args):
    env = dict(os.environ, CRM_TODAY="2026-01-01")
    out = subprocess.run([crm, "-C", book, "predict", "--to", "1997-09-30", "--format", "json", *args],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)

ours = run()
params = run("--params")
discounted = run("--discount", "10%")
rel = lambda a, b: abs(a - b) / abs(b) if b else abs(a)
same = len(ours) == len(s) and all(
    r["x"] == s.frequency[r["id"]] and r["t_x"] == s.recency[r["id"]] and r["T"] == s["T"][r["id"]]
    and abs(r["monetary"] - s.monetary_value[r["id"]]) < 1e-9 for r in ours)
print(f"customers: crm {len(ours)}, lifetimes {len(s)}; repeat buyers fitted by Gamma-Gamma: "
      f"crm {params['spend']['customers']} (left out {params['spend']['left_out']}), lifetimes {len(repeat)}")
print("x, t_x, T, m identical:", same)
for k in ("r", "alpha", "a", "b"):
    print(f"BG/NBD {k}: crm {params['purchases']['params'][k]:.7f} lifetimes {bgf.params_[k]:.7f} "
          f"rel {rel(params['purchases']['params'][k], bgf.params_[k]):.1e}")
for k in ("p", "q", "v"):
    print(f"Gamma-Gamma {k}: crm {params['spend']['params'][k]:.7f} lifetimes {ggf.params_[k]:.7f} "
          f"rel {rel(params['spend']['params'][k], ggf.params_[k]):.1e}")
for name, theirs, field, rows_ in (("P(alive)", p_alive, "p_alive", ours),
                                   ("expected purchases in 90 days", e90, "expected_purchases", ours),
                                   ("expected value", value, "expected_value", ours),
                                   ("CLV over 90 days at 10 %/year", clv, "clv", discounted)):
    print(f"{name}: largest relative difference {max(rel(r[field], theirs[r['id']]) for r in rows_):.1e}")
shutil.rmtree(work)
