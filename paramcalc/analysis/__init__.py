"""Compute and memory: MACs and FLOPs of a forward pass, and the bytes a model needs."""
