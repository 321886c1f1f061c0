"""Meta-learning of the extractor across stores with higher, few-shot adaptation, evaluation."""
