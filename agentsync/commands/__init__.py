"""One module per CLI command. Each ``run`` takes plain arguments, prints, and returns an exit code."""
