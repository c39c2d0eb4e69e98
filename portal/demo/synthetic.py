def generate_synthetic(session, count, seed=42):
    raise RuntimeError("placeholder")
