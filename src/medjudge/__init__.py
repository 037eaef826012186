"""medjudge: grade medical LLMs — answer benchmarks, score MCQs, judge open answers, audit."""

__version__ = "0.1.0"

__all__ = ["__version__"]
