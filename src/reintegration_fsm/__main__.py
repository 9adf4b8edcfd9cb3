"""`python -m reintegration_fsm`: the same as the `reintegration-fsm` command."""

from reintegration_fsm.cli import main

if __name__ == "__main__":
    main()
