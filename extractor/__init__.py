"""DOM to text nodes, the token-classification model, decoding, normalisation, records, export."""
