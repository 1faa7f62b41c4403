import sys

from vis3d.cli import main

sys.exit(main())
