from refcat.cli import main

raise SystemExit(main())
