"""signflow: activities."""
