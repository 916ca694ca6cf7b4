"""Turn a municipality's implementation-plan spreadsheet into Word and PDF documents.

The stages, one module each, in the order `build` runs them:
read → validate → plan → render → write.
"""

__version__ = "0.2.0"
