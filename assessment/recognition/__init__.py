"""Direct recognition (直接认定) under the policy paths DR-A, DR-C, DR-D, DR-E and DR-G."""
