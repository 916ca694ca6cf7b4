"""The template linter behind `pipeline check-templates`; `check.py` has its entry points."""
