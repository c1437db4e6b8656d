"""Task models: a config, the ``nn`` blocks and the task's own logic (tokenizer, sampling, metrics)."""
