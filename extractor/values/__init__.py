"""Values: the attribute schema, normalisation, the value matcher, price rules, fusion, records."""
