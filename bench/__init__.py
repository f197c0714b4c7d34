"""Load and latency benchmarks; see bench/README.md. Results are recorded in docs/benchmarks.md."""
