"""The web stack and its controller (claiming, coalescing, delivery, retries, the lease)."""
