"""Privacy requests (erasure, export, opt-out): filed by staff, the CLI or the shopper's page,
carried out by a worker. The blocklist itself lives in `app.privacy`."""
