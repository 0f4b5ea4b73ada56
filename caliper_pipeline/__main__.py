"""`python -m caliper_pipeline COMMAND`: the same as the `caliper-pipeline` script."""

from caliper_pipeline.cli import main

main()
