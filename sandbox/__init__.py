"""signflow: sandbox."""
