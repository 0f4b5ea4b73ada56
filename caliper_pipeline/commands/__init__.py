"""Subcommands of `caliper-pipeline`, one module each; `caliper_pipeline.cli` lists them."""
