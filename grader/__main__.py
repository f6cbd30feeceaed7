import sys

from .cli import main

if __name__ == "__main__":  # guarded: grading workers are spawned, and re-import this module
    sys.exit(main())
