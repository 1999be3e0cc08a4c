"""Privacy: the blocklist (keyed digests of identifiers that may no longer be used), the
identifier status support staff may ask for, and re-keying the blocklist."""
