"""Live progress of long jobs: workers publish, GraphQL subscriptions follow.

`channels` carries messages through Redis pub/sub (the Redis bound to the task, as for jobs),
`slots` counts the subscriptions each credential holder has open, and `follow` is the loop a
domain's watch function runs: snapshot from the database, then every newer message, until the
job ends. What a message holds and which channel it goes to is the domain's business
(`app/imports/progress.py`, `app/personas/progress.py`): ids, counts and states only.
"""
