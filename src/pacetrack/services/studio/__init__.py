"""The step configuration studio's use cases: checking an expression as it is typed,
simulating a step without writing anything, and the built-in template library."""
