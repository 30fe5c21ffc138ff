"""``python -m eng5_runner`` is the same as the ``eng5-runner`` command."""

from eng5_runner.cli import main

if __name__ == "__main__":
    main()
