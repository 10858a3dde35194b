"""`python -m hanji …` is the same as the `hanji` command (used by `hanji run` for its children)."""

from hanji.cli import main

if __name__ == "__main__":
    main()
