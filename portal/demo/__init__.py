"""Demo data for the Qinzhou demo region, and synthetic data for benchmarks."""

from .qinzhou import load_demo
from .synthetic import generate_synthetic

__all__ = ["generate_synthetic", "load_demo"]
