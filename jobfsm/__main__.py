"""``python -m jobfsm``: the command line."""

from jobfsm.cli import run

if __name__ == "__main__":
    run()
