"""SMS double opt-in rules that need no table: reply keywords and the program's texts."""
