"""``python -m zstc_cli``: the ``zstc`` command."""

import sys

from zstc_cli.main import main

sys.exit(main())
