"""The shoppers' self-serve privacy page: server-rendered HTML forms, no JavaScript needed."""
