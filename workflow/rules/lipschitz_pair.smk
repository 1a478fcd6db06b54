# Stage 4b, both randomness settings in one job: where a budget's sections ask for the
# searches of a stochastic explainer (LIME, Kernel SHAP, ...) under fresh and under common
# random numbers (rules/common.smk: lipschitz_budget records what they ask), one job runs
# both, one after the other, writing the same two files the `lipschitz` rule would: the
# start-up (interpreter, imports, data and model) and the noise floor at each point (which
# does not depend on the setting) are paid once. Included after the papers, whose budgets
# its wildcard constraints name.


rule lipschitz_pair:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("../scripts/lipschitz.py"),
    output:
        fresh="results/lipschitz/{budget}/{dataset}/{model}/{regime}/seed{seed}/{method}/fresh/chunk{chunk}.npz",
        common="results/lipschitz/{budget}/{dataset}/{model}/{regime}/seed{seed}/{method}/common/chunk{chunk}.npz",
    wildcard_constraints:
        budget=regex_of(lipschitz_pair_budgets()),
        method=regex_of(STOCHASTIC_METHODS),
    params:
        **LIPSCHITZ_PARAMS,
        randomness=["fresh", "common"],  # the order of the outputs
    threads: 1
    # as the `lipschitz` jobs, at twice their work (rules/common.smk: short_group, sized)
    group:
        short_group("lipschitz", searches=2),
    resources:
        **sized("lipschitz", searches=2),
    log:
        "logs/lipschitz_pair/{budget}/{dataset}/{model}/{regime}/seed{seed}/{method}/chunk{chunk}.log",
    benchmark:
        "logs/benchmarks/lipschitz_pair/{budget}/{dataset}/{model}/{regime}/seed{seed}/{method}/chunk{chunk}.tsv"
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/lipschitz.py"


ruleorder: lipschitz_pair > lipschitz
