#!/usr/bin/env bash
# One prepared GPU session (issues #18 item 5 and #20 item 5), about 6 minutes on a machine
# with a CUDA device, torch and torchvision, run from the repository root:
#   bash benchmarks/gpu_session.sh OUTDIR
# 1. benchmarks/bench_gpu.py: IG / SmoothGrad / top-k attack throughput on the GPU (table (i)).
# 2. The rehearsal's torch jobs (config/paper.yaml + config/rehearsal.yaml, the rules of
#    attrobust.site.GPU_RULES and what they need) with `device: cuda`, GPU use sampled by
#    nvidia-smi every second, and the jobs' runtimes (`make bench-table`'s table).
# Writes into OUTDIR: env.txt, targets.txt, results_gpu.json, bench_gpu.log, rehearsal.log,
# rehearsal_bench.md, smi.csv, logs.tgz. Where snakemake, captum, lime, shap and
# scikit-optimize are not installed, put them on PYTHONPATH first (docs/rehearsal.md).
set -u
out=${1:?usage: bash benchmarks/gpu_session.sh OUTDIR}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
PY=${PYTHON:-python3}
{ date -u; nvidia-smi; nproc; $PY -c 'import sys, torch, torchvision, captum, snakemake
print(sys.version); print("torch", torch.__version__, "torchvision", torchvision.__version__,
      "captum", captum.__version__, "snakemake", snakemake.__version__, "cuda", torch.cuda.is_available())'
} > "$out/env.txt" 2>&1

t0=$(date +%s)
timeout 250 $PY benchmarks/bench_gpu.py --out "$out/results_gpu.json" > "$out/bench_gpu.log" 2>&1
echo "bench_gpu rc=$? in $(( $(date +%s) - t0 )) s"

# the outputs of the GPU rules as targets (snakemake 9.27's --until stops with "BUG: Out of
# jobs ready to be started" on this DAG)
SMK="$PY -m snakemake --workflow-profile profiles/default --configfile config/paper.yaml config/rehearsal.yaml"
rules=$($PY -c 'from attrobust import site; print("|".join(site.GPU_RULES))')
$SMK --detailed-summary 2>/dev/null | awk -F'\t' -v r="^($rules)\$" '$3 ~ r {print $1}' > "$out/targets.txt"
echo "$(wc -l < "$out/targets.txt") outputs of the rules $rules"
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader -l 1 > "$out/smi.csv" 2>&1 &
smi=$!
t0=$(date +%s)
timeout 150 $SMK --config device=cuda --cores "$(nproc)" -- $(cat "$out/targets.txt") \
    > "$out/rehearsal.log" 2>&1
rc=$?
echo "rehearsal rc=$rc in $(( $(date +%s) - t0 )) s " | tee -a "$out/rehearsal.log"
kill $smi 2>/dev/null
$PY -m attrobust.benchtable > "$out/rehearsal_bench.md" 2>&1
tar czf "$out/logs.tgz" logs 2>/dev/null
ls -la "$out"
