"""`python -m actors.llm serve --home HOME`: run the embedded model server (see `_embedded.serve`)."""

import sys

from actors.llm._embedded import main

sys.exit(main())
