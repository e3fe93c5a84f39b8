"""Read models of a pipeline's items: the board, the list and its CSV export.

They share one filter (``ItemFilters``), one way of reading the pipeline's steps, fields
and people (``pipeline_view.load``) and one card row; every query is tenant-scoped and
answers only for pipelines the caller may see.
"""
