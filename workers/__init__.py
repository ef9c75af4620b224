"""signflow: workers."""
