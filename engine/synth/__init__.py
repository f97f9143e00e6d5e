"""Synthetic training data in the plan language: trajectories, grounded plans, replanning examples,
expansion and export (Plan-and-Act §4)."""
