from pluginlab_tui.cli import main

raise SystemExit(main())
