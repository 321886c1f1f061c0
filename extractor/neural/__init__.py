"""The learned extractor: features, page budget, the model, decoding, precision."""
