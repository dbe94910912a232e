"""The annual report: figures from the stats tables, sentences in the house style, PDF, HTML, CSV.

Import the functions from their modules (``csc_complaints.report.build``); this package module
stays empty so an Airflow DAG can import a submodule without loading reportlab.
"""
