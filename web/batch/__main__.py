"""``python -m web.batch``: run the nightly batch once (as ``touchpoint nightly``)."""
from web.batch.commands import nightly_main

raise SystemExit(nightly_main())
