"""Faithfulness (Nielsen et al. 2022, Sec. 4): infidelity / max-sensitivity / MoRF / LeRF
table, and the pixel-removal curves."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import faithfulness, utils
from attrobust.plots import label, nielsen, save

utils.log_to(snakemake.log[0])
p = snakemake.params
table = pd.concat([pd.read_csv(f) for f in snakemake.input.tables], ignore_index=True)
summary = faithfulness.summarise(table)
with utils.atomic_path(snakemake.output.csv) as tmp:
    summary.to_csv(tmp, index=False)
wide = summary.assign(cell=[f"{m:.3g} ± {s:.2g}" for m, s in zip(summary["mean"], summary["sd"])])
wide = wide.pivot(index="method", columns="quantity", values="cell").reindex(p.methods)
cols = ["infidelity", "max_sensitivity", "morf_area", "lerf_area"]
n = int(summary["n"].max())
lines = [
    f"# Faithfulness (mean ± sd over {n} test images; infidelity and max-sensitivity: lower is better; "
    f"MoRF area: lower is better; LeRF area: higher is better; removed pixels replaced by {p.replace}; "
    f"score: {'softmax probability' if p.output == 'prob' else 'logit'})",
    "",
    "| method | " + " | ".join(cols) + " |",
    "| --- | " + " | ".join("---:" for _ in cols) + " |",
]
lines += [f"| {label(m)} | " + " | ".join(str(wide.loc[m, c]) for c in cols) + " |" for m in wide.index]
with utils.atomic_path(snakemake.output.md) as tmp:
    tmp.write_text("\n".join(lines) + "\n")
fig = nielsen.morf_lerf(table, replace=p.replace, output=p.output)
save(fig, snakemake.output.pdf, snakemake.output.png)
