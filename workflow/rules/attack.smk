# Stage 4a: attacks on explanations (Ghorbani et al. 2019; Kamath et al. 2023).
# results/attacks/{dataset}/{model}/{method}/{attack}/eps{eps}.npz
# The rules arrive with the attack library (issue "Reproduce Ghorbani, Abid & Zou").
