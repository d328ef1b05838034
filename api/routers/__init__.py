"""HTTP routers, one module per domain area; routes call services and shape responses, nothing else."""
