"""Agency feeds: agencies send their records about children as CSV or XLSX files.

``format`` documents the columns, ``reading`` turns a file into rows (or refuses it),
``importing`` keeps every usable row as a source record, ``running`` runs an uploaded
feed in the background, ``exports`` writes templates and rejects files. See docs/feeds.md.
"""
