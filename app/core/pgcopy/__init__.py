"""PostgreSQL's binary COPY format: the one encoder (and decoder) of the project.

Format (PostgreSQL docs, "COPY ... BINARY"): a header (signature, flags, extension length),
then per row an int16 field count and per field an int32 length (-1 for NULL) and the value
in the type's binary send format, then an int16 -1 trailer.

- `rows`: row by row, from Python values (imports: rows encoded where they are validated);
- `columns`: a whole table at once from numpy columns (seed, persona assignments);
- `decode`: fixed-width records back into numpy arrays (persona features and assignments).
"""

from __future__ import annotations

import datetime as dt
import struct

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
HEADER = SIGNATURE + struct.pack("!ii", 0, 0)
TRAILER = struct.pack("!h", -1)
# PostgreSQL counts timestamps in microseconds from 2000-01-01 and dates in days from it.
PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
PG_EPOCH_DAY = dt.date(2000, 1, 1).toordinal()
# The same epoch from 1970-01-01 (the Unix epoch numpy columns count from).
PG_EPOCH_US = 946_684_800_000_000
PG_EPOCH_DAYS = 10_957
