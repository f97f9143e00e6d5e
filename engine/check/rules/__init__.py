"""The lint rules, one file per code (``paNNN_name.py``): each holds its rule's documentation and, for
lint rules, its check; ``all_rules`` imports every module here."""
