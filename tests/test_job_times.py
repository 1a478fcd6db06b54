"""benchmarks/job_times.py: wall time per rule from a snakemake log."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG = """\
[Wed Dec  2 12:51:30 2026]
rule train:
    output: results/models/a/model.pt
    jobid: 3
Select jobs to execute...

[Wed Dec  2 12:51:31 2026]
localrule fig_x:
    jobid: 7

[Wed Dec  2 12:52:30 2026]
Finished jobid: 3 (Rule: train)
1 of 3 steps (33%) done

[Wed Dec  2 12:52:41 2026]
Finished jobid: 7 (Rule: fig_x)
[Wed Dec  2 12:53:00 2026]
rule train:
    jobid: 4
"""


def test_job_times_per_rule():
    spec = importlib.util.spec_from_file_location("job_times", ROOT / "benchmarks" / "job_times.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    jobs = mod.job_times(LOG.splitlines())
    assert {j: (r, e - s if e else None) for j, (r, s, e) in jobs.items()} == {
        3: ("train", 60.0), 7: ("fig_x", 70.0), 4: ("train", None)}
