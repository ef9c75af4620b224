"""signflow: workflows."""
