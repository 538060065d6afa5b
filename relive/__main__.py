import sys

from relive.commands import main

sys.exit(main())
