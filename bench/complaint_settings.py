"""Bench-only settings for the complaint benchmarks: bench.settings (production plus the
convention endpoints) with the complaint-intake floors added to the URLs (bench/bench_urls.py).
Never used outside bench/."""

from bench.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
