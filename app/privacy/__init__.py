"""Privacy below the requests: the blocklist (keyed digests of identifiers that may no longer
be used), the identifier status support staff may ask for, re-keying, and the one-time codes
that prove control of an email or phone (`verification`)."""
