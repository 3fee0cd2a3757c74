"""The sentiment models (weights files) and the command that trains them (train.py)."""
