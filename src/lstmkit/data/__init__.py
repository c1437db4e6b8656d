"""Data readers: text files, built-in corpora, and the batch streams the trainer consumes."""
