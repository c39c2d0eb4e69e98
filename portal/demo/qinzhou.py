def load_demo(session, store, today):
    raise RuntimeError("placeholder")
