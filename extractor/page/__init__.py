"""One page: parsing, text nodes, hints, product-page signals, titles, structured data."""
