"""Places: administrative regions (GB/T 2260) and receiving water bodies."""
