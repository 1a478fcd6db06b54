"""The claims ledger: every registered claim whose results this run produced."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import claims, utils

utils.log_to(snakemake.log[0])
names = [k for k in snakemake.input.keys() if k not in ("lib", "code")]  # the rest: tables
tables = {
    k: pd.concat([pd.read_csv(f) for f in getattr(snakemake.input, k)], ignore_index=True) for k in names
}
ledger = claims.evaluate(tables, snakemake.params.context)
with utils.atomic_path(snakemake.output.csv) as tmp:
    ledger.to_csv(tmp, index=False)
with utils.atomic_path(snakemake.output.md) as tmp:
    tmp.write_text(claims.to_markdown(ledger))
