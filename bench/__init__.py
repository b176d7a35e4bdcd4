"""Benchmarks. Each module measures one claim against its named anchor and writes bench/results/<name>.json."""
