"""Few-shot adaptation of the extractor to a store (the product's side of meta-learning)."""
