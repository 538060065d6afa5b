import sys

from relive.cli import main

sys.exit(main())
