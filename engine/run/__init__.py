"""Running plans: expression evaluation, the step executor, run records and resume."""
