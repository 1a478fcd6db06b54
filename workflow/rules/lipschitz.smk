# Stage 4b: local Lipschitz estimates of explainers (Alvarez-Melis & Jaakkola 2018).
# results/lipschitz/{dataset}/{model}/{method}/chunk{i}.npz
# The rules arrive with the estimators (issue "Reproduce Alvarez-Melis & Jaakkola").
