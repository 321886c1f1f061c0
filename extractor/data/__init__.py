"""Files on disk: page datasets, annotations, JSON Lines, atomic writes, catalog export."""
