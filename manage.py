#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentdesk.settings")
    if sys.argv[1:2] and sys.argv[1].startswith("lcmsim"):
        # The simulator's own commands need its app, whatever LCM_URL says.
        os.environ.setdefault("LCM_SIMULATOR", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
