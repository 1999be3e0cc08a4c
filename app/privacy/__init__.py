"""Privacy: the blocklist, erasure, export, opt-out, the self-serve page and its codes."""
