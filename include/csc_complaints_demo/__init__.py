"""The demo source: a council's case-management database to run the pipeline against.

Not part of the pipeline (``csc_complaints``), which only ever reads a council's own source
database: this package holds the source schema as SQLAlchemy models (``models``), the reference
dataset that reproduces the 2019/20 annual report (``reference_data``, ``make demo``) and the
synthetic generator of any size (``synthetic``, ``csc-generate``, ``make bench``). It may import
the pipeline package; the pipeline imports it only in the CLI's ``demo-source`` command.
"""
