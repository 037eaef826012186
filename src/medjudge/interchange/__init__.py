"""What comes in and goes out: imports of results made elsewhere (LLMEval-Med, AnesBench, our
JSONL) and exports (JSONL/CSV), through one atomic writer."""
