"""Kernel and core records of the 新八级工 registry; imports nothing from assessment, certificates or api."""
